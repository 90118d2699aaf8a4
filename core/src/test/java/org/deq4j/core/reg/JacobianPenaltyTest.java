package org.deq4j.core.reg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.check.FiniteDifferences;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The Hutchinson Jacobian penalty on the reference tanh cell, whose Jacobian and penalty gradient
 * have closed forms: {@code f = tanh(a)}, {@code a = zW + xU + b}, {@code Jᵀε = (ε ⊙ s)Wᵀ} with
 * {@code s = 1 − f²}.
 */
class JacobianPenaltyTest {
    private static final int BATCH = 3;
    private static final int STATE = 6;
    private static final int INPUT = 4;
    private static final double LAMBDA = 0.7;

    private static TanhMlpCell cell(DataType type) {
        return TanhMlpCell.random(STATE, INPUT, 0.9, 5, type);
    }

    private static State randn(long seed, long... shape) {
        return State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE));
    }

    /** λ·∂R/∂x, λ·∂R/∂W, λ·∂R/∂U, λ·∂R/∂b in closed form, z* fixed. */
    private static List<INDArray> closedFormGradients(TanhMlpCell cell, State z, State x, List<State> probes) {
        INDArray w = cell.parameters().get(0);
        INDArray u = cell.parameters().get(1);
        INDArray f = cell.apply(z, x).part(0);
        INDArray s = f.mul(f).rsubi(1.0);
        double c = LAMBDA / probes.size() / z.length();
        INDArray gs = Nd4j.zeros(DataType.DOUBLE, BATCH, STATE);
        INDArray gw = Nd4j.zeros(DataType.DOUBLE, STATE, STATE);
        for (State probe : probes) {
            INDArray v = probe.part(0).mul(s);
            INDArray jte = v.mmul(w.transpose());
            gs.addi(probe.part(0).mul(jte.mmul(w)).muli(2 * c));
            gw.addi(jte.transpose().mmul(v).muli(2 * c));
        }
        INDArray ga = gs.mul(f.mul(s).muli(-2.0));
        gw.addi(z.part(0).transpose().mmul(ga));
        return List.of(ga.mmul(u.transpose()), gw, x.part(0).transpose().mmul(ga), ga.sum(true, 0));
    }

    private static List<INDArray> computed(PenaltyGradients g) {
        List<INDArray> all = new ArrayList<>(g.gx().parts());
        all.addAll(g.gParams());
        return all;
    }

    private static double maxRelativeError(List<INDArray> actual, List<INDArray> expected) {
        double worst = 0;
        for (int i = 0; i < actual.size(); i++) {
            INDArray a = actual.get(i).castTo(DataType.DOUBLE);
            double scale = expected.get(i).amaxNumber().doubleValue();
            worst = Math.max(worst, a.sub(expected.get(i)).amaxNumber().doubleValue() / scale);
        }
        return worst;
    }

    @Test
    void gradientMatchesTheClosedFormToTheDifferenceSchemesAccuracy() {
        TanhMlpCell cell = cell(DataType.DOUBLE);
        State z = randn(1, BATCH, STATE);
        State x = randn(2, BATCH, INPUT);
        List<State> probes = List.of(randn(3, BATCH, STATE), randn(4, BATCH, STATE));
        JacobianPenalty p = JacobianPenalty.estimate(cell, z, x, probes);
        PenaltyGradients g = p.gradients(LAMBDA);
        double error = maxRelativeError(computed(g), closedFormGradients(cell, z, x, probes));
        System.out.printf("4-point VJP difference, float64: max relative error %.2e%n", error);
        assertTrue(error < 1e-9, "relative error " + error);
        assertEquals(4 * probes.size(), g.cellEvaluations());
    }

    @Test
    void float32GradientIsAccurateToTheTypesPrecision() {
        TanhMlpCell exact = cell(DataType.DOUBLE);
        TanhMlpCell single = new TanhMlpCell(exact.parameters().get(0).castTo(DataType.FLOAT),
                exact.parameters().get(1).castTo(DataType.FLOAT), exact.parameters().get(2).castTo(DataType.FLOAT));
        State z = randn(1, BATCH, STATE);
        State x = randn(2, BATCH, INPUT);
        List<State> probes = List.of(randn(3, BATCH, STATE));
        PenaltyGradients g = JacobianPenalty.estimate(single, z.castTo(DataType.FLOAT), x.castTo(DataType.FLOAT),
                List.of(probes.get(0).castTo(DataType.FLOAT))).gradients(LAMBDA);
        double error = maxRelativeError(computed(g), closedFormGradients(exact, z, x, probes));
        System.out.printf("4-point VJP difference, float32: max relative error %.2e%n", error);
        assertTrue(error < 1e-4, "relative error " + error);
    }

    /** The same check against R itself, which no closed form enters: central differences of the estimate. */
    @Test
    void gradientMatchesFiniteDifferencesOfThePenalty() {
        TanhMlpCell cell = cell(DataType.DOUBLE);
        State z = randn(1, BATCH, STATE);
        State x = randn(2, BATCH, INPUT);
        List<State> probes = List.of(randn(3, BATCH, STATE), randn(4, BATCH, STATE), randn(5, BATCH, STATE));
        PenaltyGradients g = JacobianPenalty.estimate(cell, z, x, probes).gradients(LAMBDA);
        List<INDArray> targets = new ArrayList<>(x.parts());
        targets.addAll(cell.parameters());
        FiniteDifferences.Directional d = FiniteDifferences.directional(targets, computed(g),
                () -> LAMBDA * JacobianPenalty.estimate(cell, z, x, probes).value(), 1e-5,
                Nd4j.getRandomFactory().getNewRandomInstance(9));
        System.out.printf("against finite differences of R: max relative error %.2e%n", d.maxRelativeError());
        assertTrue(d.maxRelativeError() < 1e-7, () -> "numeric " + d.numeric() + " analytic " + d.analytic());
    }

    @Test
    void exactValueIsTheSquaredFrobeniusNormPerStateScalar() {
        TanhMlpCell cell = cell(DataType.DOUBLE);
        State z = randn(1, BATCH, STATE);
        State x = randn(2, BATCH, INPUT);
        INDArray f = cell.apply(z, x).part(0);
        INDArray s2 = Transforms.pow(f.mul(f).rsubi(1.0), 2);
        INDArray w2 = Transforms.pow(cell.parameters().get(0), 2);
        // ‖J_b‖²_F = Σ_ij s_bj² W_ij²
        double expected = s2.mmul(w2.sum(0).reshape(STATE, 1)).sumNumber().doubleValue() / (BATCH * STATE);
        assertEquals(expected, JacobianPenalty.exactValue(cell, z, x), 1e-14 * expected);
    }

    @Test
    void hutchinsonMeanConvergesToTheExactValue() {
        TanhMlpCell cell = cell(DataType.DOUBLE);
        State z = randn(1, BATCH, STATE);
        State x = randn(2, BATCH, INPUT);
        double exact = JacobianPenalty.exactValue(cell, z, x);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(11);
        int n = 4000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double r = JacobianPenalty.estimate(cell, z, x, JacobianPenalty.gaussianProbes(z, 1, rng)).value();
            sum += r;
            sumSq += r * r;
        }
        double mean = sum / n;
        double standardError = Math.sqrt((sumSq / n - mean * mean) / n);
        System.out.printf("Hutchinson mean %.6f ± %.6f, exact %.6f%n", mean, standardError, exact);
        assertTrue(Math.abs(mean - exact) < 4 * standardError, "mean " + mean + " exact " + exact);
        assertTrue(Math.abs(mean - exact) < 0.03 * exact, "mean " + mean + " exact " + exact);
    }

    @Test
    void samplingHonoursWeightFrequencyAndSeed() {
        TanhMlpCell cell = cell(DataType.DOUBLE);
        State z = randn(1, BATCH, STATE);
        State x = randn(2, BATCH, INPUT);
        assertFalse(JacobianRegularization.OFF.sample(cell, z, x, Nd4j.getRandom()).isPresent());
        JacobianRegularization half = new JacobianRegularization(0.5, 0.5, 2);
        List<Double> first = draws(half, cell, z, x, 21);
        assertEquals(first, draws(half, cell, z, x, 21), "the same seed draws the same steps and probes");
        long applied = first.stream().filter(v -> v >= 0).count();
        assertTrue(applied > 60 && applied < 140, "applied on " + applied + " of 200 steps at frequency 0.5");
        assertTrue(draws(JacobianRegularization.of(0.5), cell, z, x, 21).stream().allMatch(v -> v >= 0));
    }

    /** The core API's entry point: the configured penalty at a solution's fixed point, in the compute type. */
    @Test
    void deqGivesThePenaltyAtItsSolution() {
        TanhMlpCell cell = cell(DataType.DOUBLE);
        State x = randn(2, BATCH, INPUT);
        Deq deq = Deq.of(DeqConfig.builder().precision(PrecisionPolicy.DOUBLE).maxSteps(6)
                .jacobian(JacobianRegularization.of(LAMBDA)).build());
        DeqSolution solution = deq.solve(cell, x);
        JacobianPenalty p = deq.jacobianPenalty(cell, x, solution, Nd4j.getRandomFactory().getNewRandomInstance(4))
                .orElseThrow();
        List<State> probes = JacobianPenalty.gaussianProbes(solution.z(), 1, Nd4j.getRandomFactory()
                .getNewRandomInstance(4));
        assertEquals(JacobianPenalty.estimate(cell, solution.z(), x, probes).value(), p.value(), 0.0);
        assertFalse(Deq.reversible(0.8, 4).jacobianPenalty(cell, x, solution, Nd4j.getRandom()).isPresent(),
                "a configuration without it gives none");
    }

    /** The penalty of each of 200 steps, -1 where the step skipped it. */
    private static List<Double> draws(JacobianRegularization reg, TanhMlpCell cell, State z, State x, long seed) {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Optional<JacobianPenalty> p = reg.sample(cell, z, x, rng);
            values.add(p.map(JacobianPenalty::value).orElse(-1.0));
        }
        return values;
    }
}
