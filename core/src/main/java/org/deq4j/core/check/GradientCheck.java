package org.deq4j.core.check;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradient checks of the exact adjoints (reversible, unrolled) against central finite differences
 * of the loss {@code L = Σ r ⊙ z*} on a small float64 {@link TanhMlpCell}, for every parameter and
 * injection entry. A fixed step budget (tolerance far below float64 resolution) makes every solve
 * take the same trajectory, which the exact adjoints differentiate to rounding error.
 */
public final class GradientCheck {
    private static final double H = 1e-6;
    private static final double TOLERANCE = 1e-6;

    private GradientCheck() {
    }

    /**
     * One check.
     *
     * @param cell    reference cell name
     * @param adjoint adjoint name: "reversible" or "unrolled"
     * @param solver  solver name: "reversible" or "fixed_point"
     * @param beta    reversible relaxation (ignored by fixed_point)
     * @param steps   fixed number of solver steps
     */
    public record Case(String cell, String adjoint, String solver, double beta, int steps) {
    }

    /**
     * The outcome of one check.
     *
     * @param maxRelativeError largest over gradients of ‖g − g_fd‖ / max(‖g_fd‖, 1e-12)
     * @param reference        what the adjoint gradient was compared with
     */
    public record Result(String cell, String adjoint, String solver, double beta, int steps, double maxRelativeError,
            double tolerance, boolean passed, String reference) {
    }

    /** The default checks: reversible and unrolled adjoints, several betas and budgets. */
    public static List<Case> defaultMatrix() {
        List<Case> cases = new ArrayList<>();
        for (int steps : new int[] {1, 4, 8}) {
            for (double beta : new double[] {0.5, 0.8}) {
                cases.add(new Case("tanh_mlp", "reversible", "reversible", beta, steps));
                cases.add(new Case("tanh_mlp", "unrolled", "reversible", beta, steps));
            }
            cases.add(new Case("tanh_mlp", "unrolled", "fixed_point", 1.0, steps));
        }
        return cases;
    }

    /** Runs one check. */
    public static Result run(Case c) {
        Solver<?> solver = c.solver().equals("fixed_point") ? FixedPointSolver.plain() : new ReversibleSolver(c.beta());
        Adjoint adjoint = c.adjoint().equals("unrolled") ? new UnrolledAdjoint() : new ReversibleAdjoint();
        Deq deq = Deq.of(DeqConfig.builder().solver(solver).adjoint(adjoint).maxSteps(c.steps()).tol(1e-300)
                .stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build());
        TanhMlpCell cell = TanhMlpCell.random(4, 3, 0.7, 7, DataType.DOUBLE);
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(11), 2, 3).castTo(DataType.DOUBLE);
        INDArray r = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(13), 2, 4).castTo(DataType.DOUBLE);
        DeqGradients g = deq.solve(cell, x).backward(State.of(r));
        double err = relativeError(g.gx().part(0), finiteDifferences(deq, cell, x, x, r));
        for (int i = 0; i < cell.parameters().size(); i++) {
            err = Math.max(err, relativeError(g.gParams().get(i), finiteDifferences(deq, cell, x,
                    cell.parameters().get(i), r)));
        }
        return new Result(c.cell(), c.adjoint(), c.solver(), c.beta(), c.steps(), err, TOLERANCE, err <= TOLERANCE,
                "central finite differences, h=" + H);
    }

    private static INDArray finiteDifferences(Deq deq, TanhMlpCell cell, INDArray x, INDArray wrt, INDArray r) {
        INDArray out = wrt.like();
        INDArray flat = wrt.reshape(wrt.length());
        for (long i = 0; i < wrt.length(); i++) {
            double v = flat.getDouble(i);
            flat.putScalar(i, v + H);
            double up = loss(deq, cell, x, r);
            flat.putScalar(i, v - H);
            double down = loss(deq, cell, x, r);
            flat.putScalar(i, v);
            out.reshape(out.length()).putScalar(i, (up - down) / (2 * H));
        }
        return out;
    }

    private static double loss(Deq deq, TanhMlpCell cell, INDArray x, INDArray r) {
        return deq.solve(cell, x).z().part(0).mul(r).sumNumber().doubleValue();
    }

    private static double relativeError(INDArray g, INDArray reference) {
        return g.sub(reference).norm2Number().doubleValue() / Math.max(reference.norm2Number().doubleValue(), 1e-12);
    }
}
