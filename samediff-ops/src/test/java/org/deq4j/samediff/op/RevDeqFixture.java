package org.deq4j.samediff.op;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.MlpCell;
import org.deq4j.samediff.unrolled.UnrolledRevDeq;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A RevDEQ graph over the MLP cell (state 8, input 5, batch 3, float64) with the loss
 * {@code sum(c ⊙ z_N)}, next to two independent references: the core engine's reversible solve of
 * the same cell ({@link TanhMlpCell}, plain ND4J) and the static unrolled SameDiff graph.
 */
final class RevDeqFixture {
    static final int STATE = 8;
    static final int INPUT = 5;
    static final int BATCH = 3;
    static final String[] PARAMS = {"W", "U", "b"};

    final TanhMlpCell coreCell;
    final INDArray x;
    final INDArray c;
    final SameDiff sd;
    final RevDeq.Outputs outputs;
    final SDVariable z;
    final SDVariable loss;
    final double beta;
    final int steps;
    final double tol;

    RevDeqFixture(double beta, int steps, double tol, long seed) {
        this.beta = beta;
        this.steps = steps;
        this.tol = tol;
        coreCell = TanhMlpCell.random(STATE, INPUT, 0.6, seed, DataType.DOUBLE);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(seed + 1);
        x = Nd4j.randn(rng, new long[] {BATCH, INPUT}).castTo(DataType.DOUBLE);
        c = Nd4j.randn(rng, new long[] {BATCH, STATE}).castTo(DataType.DOUBLE);
        sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", DataType.DOUBLE, -1, INPUT);
        List<INDArray> p = coreCell.parameters();
        List<SDVariable> params = List.of(sd.var("W", p.get(0).dup()), sd.var("U", p.get(1).dup()),
                sd.var("b", p.get(2).dup()));
        RevDeq deq = RevDeq.of(new MlpCell(STATE, INPUT), float64(beta, steps, tol));
        outputs = deq.solve(sd, xv, params);
        z = outputs.z();
        loss = z.mul(sd.constant("c", c)).sum();
        loss.markAsLoss();
    }

    /** RevDEQ's configuration with a float64 state and cell. */
    static DeqConfig float64(double beta, int steps, double tol) {
        return GradientStrategy.REVERSIBLE.config(steps, beta, tol).toBuilder().precision(PrecisionPolicy.DOUBLE)
                .build();
    }

    Map<String, INDArray> placeholders() {
        return Map.of("x", x);
    }

    INDArray output() {
        return sd.output(placeholders(), z.name()).get(z.name());
    }

    Map<String, INDArray> gradients() {
        return sd.calculateGradients(placeholders(), "x", "W", "U", "b");
    }

    /**
     * The same solve as the static unrolled graph ({@link UnrolledRevDeq}, every step taken, gradients
     * by SameDiff autodiff through the stored trajectory) with the same parameters and loss: the
     * second independent reference. Returns z_N and the gradients for x, W, U, b.
     */
    Map<String, INDArray> unrolled() {
        SameDiff u = SameDiff.create();
        SDVariable xv = u.placeHolder("x", DataType.DOUBLE, -1, INPUT);
        List<INDArray> p = coreCell.parameters();
        List<SDVariable> params = List.of(u.var("W", p.get(0).dup()), u.var("U", p.get(1).dup()),
                u.var("b", p.get(2).dup()));
        SDVariable zu = UnrolledRevDeq.apply(u, new MlpCell(STATE, INPUT), xv, params, beta, steps);
        zu.mul(u.constant("c", c)).sum().markAsLoss();
        Map<String, INDArray> out = new HashMap<>(u.calculateGradients(placeholders(), "x", "W", "U", "b"));
        out.put("z", u.output(placeholders(), zu.name()).get(zu.name()));
        return out;
    }

    DeqSolution coreSolution() {
        Deq deq = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(beta)).adjoint(new ReversibleAdjoint())
                .maxSteps(steps).tol(tol).precision(PrecisionPolicy.DOUBLE).build());
        return deq.solve(coreCell, x);
    }

    DeqGradients coreGradients() {
        return coreSolution().backward(State.of(c));
    }
}
