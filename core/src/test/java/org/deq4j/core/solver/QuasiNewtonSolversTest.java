package org.deq4j.core.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.cell.FunctionalCell;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.cell.TupleTanhCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Anderson and Broyden against independent references, in float64. */
class QuasiNewtonSolversTest {

    static Stream<Solver<?>> solvers() {
        return Stream.of(AndersonSolver.defaults(), new AndersonSolver(4, 1e-6, 0.7), new BroydenSolver(30),
                new BroydenSolver(3));
    }

    static Stream<Solver<?>> defaultSolvers() {
        return Stream.of(AndersonSolver.defaults(), new BroydenSolver(30));
    }

    private static DeqSolution solve(Solver<?> solver, Cell cell, State x, int maxSteps, double tol,
            StopMode mode) {
        DeqConfig config = DeqConfig.builder().solver(solver)
                .adjoint(new ImplicitAdjoint(FixedPointSolver.plain(), StopCriterion.of(500, 1e-12)))
                .maxSteps(maxSteps).tol(tol).stopMode(mode).precision(PrecisionPolicy.DOUBLE).build();
        return Deq.of(config).solve(cell, x);
    }

    private static INDArray gaussian(long seed, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE);
    }

    private static double[] linspace(double from, double to, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + (to - from) * i / Math.max(1, n - 1);
        }
        return v;
    }

    private static double[] ones(int n) {
        double[] v = new double[n];
        Arrays.fill(v, 1.0);
        return v;
    }

    /**
     * The error a residual tolerance allows on a linear problem {@code z = ρ-contraction}: a
     * relative residual r·‖f(z)‖ becomes at most r·‖f(z)‖/(1−ρ) in z; with a factor 2 of slack.
     */
    private static double errorBound(double relTol, double contraction, double[][] solution) {
        double norm = 0;
        for (double[] row : solution) {
            double s = 0;
            for (double v : row) {
                s += v * v;
            }
            norm = Math.max(norm, Math.sqrt(s));
        }
        return 2 * relTol * norm / (1 - contraction);
    }

    private static void assertClose(double[][] expected, double[][] actual, double tol, String what) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                worst = Math.max(worst, Math.abs(expected[i][j] - actual[i][j]));
            }
        }
        assertTrue(worst < tol, what + ": max abs error " + worst + " >= " + tol);
    }

    @ParameterizedTest
    @MethodSource("solvers")
    void linearContractionOfRank3StateMatchesDenseSolve(Solver<?> solver) {
        LinearProblem p = LinearProblem.symmetric(linspace(-0.6, 0.85, 12), 7);
        Cell cell = p.cell(new long[] {3, 4});
        INDArray b = gaussian(1, 3, 12);
        DeqSolution sol = solve(solver, cell, State.of(b), 300, 1e-13, StopMode.RELATIVE);
        assertEquals(3, sol.stats().convergedCount(), sol.stats().toString());
        assertEquals(3, sol.z().part(0).rank());
        assertClose(p.solve(b.toDoubleMatrix(), ones(3)), LinearProblem.flat(sol.z()), 1e-10, solver.name());
    }

    @ParameterizedTest
    @MethodSource("solvers")
    void linearContractionOfMixedRankTupleStateMatchesDenseSolve(Solver<?> solver) {
        LinearProblem p = LinearProblem.symmetric(linspace(-0.5, 0.9, 10), 11);
        Cell cell = p.cell(new long[] {2, 3}, new long[] {4});
        INDArray b = gaussian(2, 4, 10);
        DeqSolution sol = solve(solver, cell, State.of(b), 300, 1e-13, StopMode.RELATIVE);
        assertEquals(2, sol.z().size());
        assertEquals(4, sol.stats().convergedCount(), sol.stats().toString());
        assertClose(p.solve(b.toDoubleMatrix(), ones(4)), LinearProblem.flat(sol.z()), 1e-10, solver.name());
    }

    /** Solves with {@code solver} and checks every sample converged to a 2000-step plain fixed-point run's result. */
    private static DeqSolution assertMatchesLongFixedPointRun(Solver<?> solver, Cell cell, State x) {
        State reference = solve(FixedPointSolver.plain(), cell, x, 2000, 1e-15, StopMode.ABSOLUTE).z();
        DeqSolution sol = solve(solver, cell, x, 200, 1e-12, StopMode.ABSOLUTE);
        assertEquals(x.batchSize(), sol.stats().convergedCount(), sol.stats().toString());
        assertTrue(sol.z().maxAbsDifference(reference) < 1e-10, "error " + sol.z().maxAbsDifference(reference));
        return sol;
    }

    @ParameterizedTest
    @MethodSource("solvers")
    void tanhMlpMatchesLongFixedPointRun(Solver<?> solver) {
        TanhMlpCell cell = TanhMlpCell.random(16, 8, 0.7, 3, DataType.DOUBLE);
        assertMatchesLongFixedPointRun(solver, cell, State.of(gaussian(4, 5, 8)));
    }

    @ParameterizedTest
    @MethodSource("solvers")
    void tupleTanhStateMatchesLongFixedPointRun(Solver<?> solver) {
        TupleTanhCell cell = TupleTanhCell.random(8, 5, 0.8, 5, DataType.DOUBLE);
        DeqSolution sol = assertMatchesLongFixedPointRun(solver, cell, State.of(gaussian(6, 3, 5)));
        assertEquals(2, sol.z().size());
    }

    /** A float32 state keeps the history and Gram products in float32; the solve must still converge. */
    @ParameterizedTest
    @MethodSource("defaultSolvers")
    void float32StateConverges(Solver<?> solver) {
        TanhMlpCell cell = TanhMlpCell.random(16, 8, 0.9, 25, DataType.FLOAT);
        State x = State.of(gaussian(16, 4, 8).castTo(DataType.FLOAT));
        TanhMlpCell cell64 = new TanhMlpCell(cell.parameters().get(0).castTo(DataType.DOUBLE),
                cell.parameters().get(1).castTo(DataType.DOUBLE), cell.parameters().get(2).castTo(DataType.DOUBLE));
        State reference = solve(FixedPointSolver.plain(), cell64, x.castTo(DataType.DOUBLE), 2000, 1e-14,
                StopMode.ABSOLUTE).z();
        DeqConfig config = DeqConfig.builder().solver(solver).adjoint(new PhantomAdjoint(1, 1.0)).maxSteps(100)
                .tol(1e-5).precision(PrecisionPolicy.FLOAT).build();
        DeqSolution sol = Deq.of(config).solve(cell, x);
        assertEquals(DataType.FLOAT, sol.z().dataType());
        assertEquals(4, sol.stats().convergedCount(), sol.stats().toString());
        double err = sol.z().castTo(DataType.DOUBLE).maxAbsDifference(reference);
        assertTrue(err < 1e-4, "error " + err);
    }

    @Test
    void illConditionedContractionNeedsFarFewerEvaluationsThanFixedPoint() {
        // Half the spectrum near 0.99 (slow modes), half near 0 (fast): fixed-point iteration
        // needs about log(tol)/log(0.99) steps.
        double[] eig = new double[16];
        for (int i = 0; i < 8; i++) {
            eig[i] = 0.99 - 0.002 * i;
            eig[8 + i] = 0.01 * i;
        }
        LinearProblem p = LinearProblem.symmetric(eig, 13);
        Cell cell = p.cell(new long[] {16});
        INDArray b = gaussian(7, 2, 16);
        double tol = 1e-8;
        double[][] exact = p.solve(b.toDoubleMatrix(), ones(2));
        SolverStats fixed = solve(FixedPointSolver.plain(), cell, State.of(b), 5000, tol, StopMode.RELATIVE).stats();
        assertEquals(2, fixed.convergedCount(), fixed.toString());
        defaultSolvers().forEach(solver -> {
            DeqSolution sol = solve(solver, cell, State.of(b), 5000, tol, StopMode.RELATIVE);
            SolverStats fast = sol.stats();
            assertEquals(2, fast.convergedCount(), fast.toString());
            assertTrue(fast.cellEvaluations() * 10 < fixed.cellEvaluations(),
                    solver.name() + " " + fast + " vs fixed point " + fixed);
            assertClose(exact, LinearProblem.flat(sol.z()), errorBound(tol, 0.99, exact), solver.name());
        });
    }

    /** With a history of one, Anderson's least squares has the single solution α = 1: relaxed iteration. */
    @Test
    void andersonWithHistoryOneIsRelaxedFixedPointIteration() {
        TupleTanhCell cell = TupleTanhCell.random(6, 4, 0.8, 27, DataType.DOUBLE);
        State x = State.of(gaussian(17, 3, 4));
        State z0 = State.of(gaussian(18, 3, 6), gaussian(19, 3, 6));
        State anderson = run(new AndersonSolver(1, 1e-4, 0.6), cell, x, z0, 15);
        State fixed = run(new FixedPointSolver(0.6), cell, x, z0, 15);
        assertTrue(anderson.maxAbsDifference(fixed) < 1e-14, "difference " + anderson.maxAbsDifference(fixed));
    }

    /** f(z) = c: all residuals after the first are parallel, so Anderson's Gram matrix has rank 1. */
    @ParameterizedTest
    @MethodSource("solvers")
    void constantCellConvergesDespiteRankOneHistory(Solver<?> solver) {
        INDArray c = gaussian(8, 3, 6);
        Cell cell = FunctionalCell.builder()
                .forward((z, x, p) -> State.of(x.part(0).dup()))
                .vjp((z, x, p, g) -> new CellVjp(State.of(x.part(0).dup()), g.zerosLike(), g.dup(), List.of()))
                .build();
        DeqSolution sol = solve(solver, cell, State.of(c), 50, 1e-12, StopMode.ABSOLUTE);
        assertTrue(sol.z().maxAbsDifference(State.of(c)) < 1e-10, sol.stats().toString());
    }

    /**
     * f(z) = z + d: every residual is the same vector d (no fixed point). Anderson's least squares
     * sees m identical residuals and Broyden's secant updates are all degenerate (Δg = 0); both
     * must keep stepping with finite values.
     */
    @ParameterizedTest
    @MethodSource("solvers")
    void identicalResidualsDoNotBreakTheStep(Solver<?> solver) {
        State x = State.of(gaussian(9, 2, 5));
        Cell cell = FunctionalCell.builder()
                .forward((z, xx, p) -> State.of(z.part(0).add(xx.part(0))))
                .vjp((z, xx, p, g) -> new CellVjp(State.of(z.part(0).add(xx.part(0))), g.dup(), g.dup(), List.of()))
                .build();
        int steps = 12;
        State z = run(solver, cell, x, State.of(Nd4j.zeros(DataType.DOUBLE, 2, 5)), steps);
        double[] norms = z.sampleNorms().toDoubleVector();
        for (double n : norms) {
            assertTrue(Double.isFinite(n) && n > 0, "norm " + n);
        }
    }

    /**
     * Sample 0 has f(z) = z exactly (zero residual at every point: Anderson's Gram matrix is zero,
     * Broyden's Δg is zero); the others are a linear contraction. Stepping the whole batch must not
     * throw, must leave sample 0 where it is and still solve the others.
     */
    @ParameterizedTest
    @MethodSource("solvers")
    void identitySamplesFallBackAndOthersStillConverge(Solver<?> solver) {
        LinearProblem p = LinearProblem.symmetric(linspace(-0.4, 0.8, 6), 17);
        Cell linear = p.cell(new long[] {6});
        // s = 1 marks the identity sample; its b is ignored.
        Cell cell = FunctionalCell.builder()
                .forward((z, x, q) -> {
                    INDArray f = linear.apply(z, State.of(x.part(0))).part(0);
                    INDArray keep = x.part(1);
                    return State.of(f.mulColumnVector(keep.rsub(1.0)).addi(z.part(0).mulColumnVector(keep)));
                })
                .vjp((z, x, q, g) -> {
                    throw new UnsupportedOperationException();
                })
                .build();
        INDArray b = gaussian(10, 3, 6);
        State x = State.of(b, Nd4j.createFromArray(1.0, 0.0, 0.0).reshape(3, 1));
        INDArray z0 = gaussian(11, 3, 6);
        State z = run(solver, cell, x, State.of(z0), 60);
        assertArrayEquals(z0.getRow(0).toDoubleVector(), z.part(0).getRow(0).toDoubleVector(),
                "identity sample moved");
        double[][] exact = p.solve(b.toDoubleMatrix(), ones(3));
        double[][] got = LinearProblem.flat(z);
        assertClose(new double[][] {exact[1], exact[2]}, new double[][] {got[1], got[2]}, 1e-8, solver.name());
        // Three steps stay below every Broyden memory size here, so no restart hides a skip.
        long degenerate = degenerateSteps(solver, cell, x, State.of(z0), 3);
        assertTrue(degenerate >= 3, solver.name() + " degenerate steps " + degenerate);
    }

    /** Runs {@code steps} steps on the whole batch, directly through the solver. */
    private static <S extends Iterate> State run(Solver<S> solver, Cell cell, State x, State z0, int steps) {
        S it = solver.init(cell, x, z0);
        ActiveSet all = ActiveSet.all(z0.batchSize(), z0.dataType());
        for (int i = 0; i < steps; i++) {
            solver.step(cell, x, it, all);
        }
        return it.z();
    }

    /** Anderson fallbacks or Broyden skipped updates over {@code steps} steps of the whole batch. */
    private static long degenerateSteps(Solver<?> solver, Cell cell, State x, State z0, int steps) {
        ActiveSet all = ActiveSet.all(z0.batchSize(), z0.dataType());
        if (solver instanceof AndersonSolver a) {
            AndersonSolver.Iterate it = a.init(cell, x, z0);
            for (int i = 0; i < steps; i++) {
                a.step(cell, x, it, all);
            }
            return it.history().fallbacks();
        }
        BroydenSolver br = (BroydenSolver) solver;
        BroydenSolver.Iterate it = br.init(cell, x, z0);
        for (int i = 0; i < steps; i++) {
            br.step(cell, x, it, all);
        }
        return it.memory().skippedUpdates();
    }

    /**
     * Three samples of different difficulty (contraction factors 0.1, 0.95, 0.5) stop at different
     * steps. A sample frozen at step n must hold exactly what the same solver gives when run alone
     * on that sample for n steps: nothing after its stop (nor the other samples) touched it.
     */
    @ParameterizedTest
    @MethodSource("solvers")
    void samplesStopIndependentlyAndStayFrozen(Solver<?> solver) {
        LinearProblem p = LinearProblem.symmetric(linspace(-1, 1, 8), 19);
        Cell cell = p.cell(new long[] {8});
        INDArray b = gaussian(12, 3, 8);
        INDArray s = Nd4j.createFromArray(0.1, 0.95, 0.5).reshape(3, 1);
        double tol = 1e-10;
        DeqSolution sol = solve(solver, cell, State.of(b, s), 400, tol, StopMode.RELATIVE);
        int[] steps = sol.stats().steps();
        assertEquals(3, sol.stats().convergedCount(), sol.stats().toString());
        assertTrue(steps[0] < steps[2] && steps[2] < steps[1], Arrays.toString(steps));
        for (int i = 0; i < 3; i++) {
            State xi = State.of(b.getRow(i, true).dup(), s.getRow(i, true).dup());
            DeqSolution alone = solve(solver, cell, xi, steps[i], tol, StopMode.RELATIVE);
            assertEquals(steps[i], alone.stats().steps()[0]);
            double diff = alone.z().part(0).sub(sol.z().part(0).getRow(i, true)).amaxNumber().doubleValue();
            assertTrue(diff < 1e-13, "sample " + i + " differs from its solo run by " + diff);
        }
        double[][] exact = p.solve(b.toDoubleMatrix(), s.toDoubleVector());
        assertClose(exact, LinearProblem.flat(sol.z()), errorBound(tol, 0.95, exact), solver.name());
    }

    @ParameterizedTest
    @MethodSource("solvers")
    void inactiveSamplesKeepTheirValuesExactly(Solver<?> solver) {
        TupleTanhCell cell = TupleTanhCell.random(6, 4, 0.8, 21, DataType.DOUBLE);
        State x = State.of(gaussian(13, 4, 4));
        checkFrozen(solver, cell, x);
    }

    private static <S extends Iterate> void checkFrozen(Solver<S> solver, Cell cell, State x) {
        S it = solver.init(cell, x, cell.initialState(x, DataType.DOUBLE));
        ActiveSet all = ActiveSet.all(x.batchSize(), DataType.DOUBLE);
        for (int i = 0; i < 3; i++) {
            solver.step(cell, x, it, all);
        }
        boolean[] active = {true, false, true, false};
        ActiveSet some = ActiveSet.of(active, DataType.DOUBLE);
        State z = it.z().dup();
        State fz = it.fz().dup();
        for (int n = 0; n < 4; n++) {
            solver.step(cell, x, it, some);
            for (int i = 0; i < active.length; i++) {
                for (int part = 0; part < z.size(); part++) {
                    double[] before = z.part(part).getRow(i).toDoubleVector();
                    double[] after = it.z().part(part).getRow(i).toDoubleVector();
                    if (active[i]) {
                        assertFalse(Arrays.equals(before, after), "active sample " + i + " did not move");
                    } else {
                        // Exact equality: a frozen sample must not pick up even rounding noise.
                        assertArrayEquals(before, after, "frozen sample " + i + " z changed");
                        assertArrayEquals(fz.part(part).getRow(i).toDoubleVector(),
                                it.fz().part(part).getRow(i).toDoubleVector(), "frozen sample " + i + " f(z) changed");
                    }
                }
            }
            z = it.z().dup();
        }
    }

    @Test
    void invalidParametersAreRejectedByName() {
        assertMessage(() -> new AndersonSolver(0, 1e-4, 1.0), "m");
        assertMessage(() -> new AndersonSolver(5, 0.0, 1.0), "lambda");
        assertMessage(() -> new AndersonSolver(5, Double.NaN, 1.0), "lambda");
        assertMessage(() -> new AndersonSolver(5, Double.POSITIVE_INFINITY, 1.0), "lambda");
        assertMessage(() -> new AndersonSolver(5, 1e-4, 0.0), "beta");
        assertMessage(() -> new AndersonSolver(5, 1e-4, 1.5), "beta");
        assertMessage(() -> new AndersonSolver(5, 1e-4, Double.NaN), "beta");
        assertMessage(() -> new BroydenSolver(0), "memory");
        assertMessage(() -> new BroydenSolver(-3), "memory");
    }

    private static void assertMessage(Runnable r, String parameter) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, r::run);
        assertTrue(e.getMessage().matches("(?s).*\\b" + parameter + "\\b.*"),
                "message should name '" + parameter + "': " + e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("defaultSolvers")
    void unrolledAdjointRejectsQuasiNewtonSolvers(Solver<?> solver) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> DeqConfig.builder()
                .solver(solver).adjoint(new UnrolledAdjoint()).build());
        assertTrue(e.getMessage().contains(solver.name()), e.getMessage());
    }

    /**
     * The implicit adjoint with a quasi-Newton solver forward and backward against backpropagation
     * through a fixed-point solve run to convergence: both are the gradient at the fixed point.
     */
    @ParameterizedTest
    @MethodSource("defaultSolvers")
    void implicitGradientsMatchUnrolledFixedPoint(Solver<?> solver) {
        TanhMlpCell cell = TanhMlpCell.random(10, 6, 0.6, 23, DataType.DOUBLE);
        State x = State.of(gaussian(14, 4, 6));
        State gz = State.of(gaussian(15, 4, 10));
        Deq unrolled = Deq.of(DeqConfig.builder().solver(FixedPointSolver.plain()).adjoint(new UnrolledAdjoint())
                .maxSteps(400).tol(1e-15).stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build());
        Deq implicit = Deq.of(DeqConfig.builder().solver(solver)
                .adjoint(new ImplicitAdjoint(solver, new StopCriterion(200, 1e-14, StopMode.ABSOLUTE)))
                .maxSteps(200).tol(1e-14).stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build());
        DeqSolution ref = unrolled.solve(cell, x);
        DeqSolution sol = implicit.solve(cell, x);
        assertEquals(4, sol.stats().convergedCount(), sol.stats().toString());
        DeqGradients expected = ref.backward(gz);
        DeqGradients actual = sol.backward(gz);
        assertTrue(actual.stats().solve().orElseThrow().convergedCount() == 4, actual.stats().toString());
        assertRelClose(expected.gx().part(0), actual.gx().part(0), "gx");
        for (int i = 0; i < expected.gParams().size(); i++) {
            assertRelClose(expected.gParams().get(i), actual.gParams().get(i), "parameter " + i);
        }
    }

    private static void assertRelClose(INDArray expected, INDArray actual, String what) {
        double rel = expected.sub(actual).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
        assertTrue(rel < 1e-6, what + " relative error " + rel);
    }
}
