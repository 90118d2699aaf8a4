package org.deq4j.core.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.cell.TupleTanhCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float64 gradient-check matrix behind {@code ./deq4j gradcheck}: every adjoint against its
 * reference on the reference cells, as the official RevDEQ tests do and more.
 *
 * <ul>
 * <li>reversible vs unrolled backpropagation through the same reversible solve, β ∈ {0.5, 0.8, 1.2},
 *     steps ∈ {1, 4, 10}, tolerance 1e-9;</li>
 * <li>implicit vs unrolled through a fixed-point solve run to convergence, tolerance 1e-6;</li>
 * <li>phantom (k = 50, τ = 1) vs the same converged unrolled reference, tolerance 1e-5;</li>
 * <li>reversible and unrolled vs central finite differences, tolerance 1e-6.</li>
 * </ul>
 * Each on the single-array {@link TanhMlpCell} and the tuple-state {@link TupleTanhCell}.
 */
public final class GradientCheck {
    /** Budget and tolerance of a solve "run to convergence". */
    private static final StopCriterion CONVERGED = new StopCriterion(500, 1e-13, StopMode.RELATIVE);
    private static final int BATCH = 4;
    private static final int STATE = 6;
    private static final int INPUT = 5;
    private static final double CONTRACTION = 0.6;

    private GradientCheck() {
    }

    /**
     * One check.
     *
     * @param cell      "tanh_mlp" or "tuple_tanh"
     * @param solver    "reversible" (β, every one of {@code steps} steps taken) or "fixed_point"
     *                  (run to convergence: 500 steps, relative tolerance 1e-13)
     * @param adjoint   adjoint under test: "reversible", "unrolled", "implicit" or "phantom"
     * @param beta      β of the reversible solver; 0 for fixed-point cases
     * @param steps     steps of the reversible solver; 0 for fixed-point cases
     * @param reference "unrolled" (the same solve differentiated by the unrolled adjoint) or
     *                  "finite_differences"
     * @param tolerance largest relative error that passes
     */
    public record Case(String cell, String solver, String adjoint, double beta, int steps, String reference,
            double tolerance) {
        static Case reversible(String cell, String adjoint, double beta, int steps, String reference, double tol) {
            return new Case(cell, "reversible", adjoint, beta, steps, reference, tol);
        }

        static Case converged(String cell, String adjoint, String reference, double tol) {
            return new Case(cell, "fixed_point", adjoint, 0, 0, reference, tol);
        }
    }

    /**
     * A check's outcome.
     *
     * @param maxRelativeError largest relative error over the injection and parameter gradients
     */
    public record Result(String cell, String adjoint, String solver, double beta, int steps, double maxRelativeError,
            double tolerance, boolean passed, String reference) {
    }

    /** The full matrix: 30 cases. */
    public static List<Case> defaultMatrix() {
        List<Case> cases = new ArrayList<>();
        for (String cell : List.of("tanh_mlp", "tuple_tanh")) {
            for (double beta : new double[] {0.5, 0.8, 1.2}) {
                for (int steps : new int[] {1, 4, 10}) {
                    cases.add(Case.reversible(cell, "reversible", beta, steps, "unrolled", 1e-9));
                }
            }
            cases.add(Case.converged(cell, "implicit", "unrolled", 1e-6));
            cases.add(Case.converged(cell, "phantom", "unrolled", 1e-5));
            for (double beta : new double[] {0.8, 1.2}) {
                cases.add(Case.reversible(cell, "reversible", beta, 4, "finite_differences", 1e-6));
                cases.add(Case.reversible(cell, "unrolled", beta, 4, "finite_differences", 1e-6));
            }
            cases.add(Case.converged(cell, "unrolled", "finite_differences", 1e-6));
            cases.add(Case.converged(cell, "implicit", "finite_differences", 1e-6));
        }
        return cases;
    }

    /** Runs one case in float64 with fixed seeds. */
    public static Result run(Case c) {
        Cell cell = referenceCell(c.cell());
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(7);
        State x = State.of(Nd4j.randn(rng, new long[] {BATCH, INPUT}).castTo(DataType.DOUBLE));
        State w = cell.initialState(x, DataType.DOUBLE).map(p -> Nd4j.randn(rng, p.shape()).castTo(DataType.DOUBLE));
        Deq tested = Deq.of(config(c, adjointUnderTest(c)));
        double error;
        if (c.reference().equals("finite_differences")) {
            error = FiniteDifferences.check(tested, cell, x, w, 1e-6, 11).maxRelativeError();
        } else if (c.reference().equals("unrolled")) {
            DeqGradients g = tested.solve(cell, x).backward(w);
            DeqGradients ref = Deq.of(config(c, new UnrolledAdjoint())).solve(cell, x).backward(w);
            error = GradientComparison.maxRelativeError(g, ref);
        } else {
            throw new InvalidConfigException("unknown reference '" + c.reference()
                    + "'; use 'unrolled' or 'finite_differences'");
        }
        return new Result(c.cell(), c.adjoint(), c.solver(), c.beta(), c.steps(), error, c.tolerance(),
                error <= c.tolerance(), c.reference());
    }

    /** The reference cell of that name, float64, seeded. */
    public static Cell referenceCell(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tanh_mlp" -> TanhMlpCell.random(STATE, INPUT, CONTRACTION, 3, DataType.DOUBLE);
            case "tuple_tanh" -> TupleTanhCell.random(STATE, INPUT, CONTRACTION, 3, DataType.DOUBLE);
            default -> throw new InvalidConfigException("unknown reference cell '" + name
                    + "'; use 'tanh_mlp' or 'tuple_tanh'");
        };
    }

    private static Adjoint adjointUnderTest(Case c) {
        return switch (c.adjoint()) {
            case "reversible" -> new ReversibleAdjoint(new DriftCheck(1e-6, DriftCheck.Action.IGNORE));
            case "unrolled" -> new UnrolledAdjoint();
            case "implicit" -> new ImplicitAdjoint(FixedPointSolver.plain(), CONVERGED);
            case "phantom" -> new PhantomAdjoint(50, 1.0);
            default -> throw new InvalidConfigException("unknown adjoint '" + c.adjoint()
                    + "'; use reversible, unrolled, implicit or phantom");
        };
    }

    private static DeqConfig config(Case c, Adjoint adjoint) {
        boolean fixedPoint = switch (c.solver()) {
            case "fixed_point" -> true;
            case "reversible" -> false;
            default -> throw new InvalidConfigException("unknown gradient-check solver '" + c.solver()
                    + "'; use 'reversible' or 'fixed_point'");
        };
        Solver<?> solver = fixedPoint ? FixedPointSolver.plain() : new ReversibleSolver(c.beta());
        // A tolerance no residual reaches makes the reversible cases take every step.
        StopCriterion stop = fixedPoint ? CONVERGED : new StopCriterion(c.steps(), 1e-300, StopMode.RELATIVE);
        return DeqConfig.builder().solver(solver).adjoint(adjoint).maxSteps(stop.maxSteps()).tol(stop.tol())
                .stopMode(stop.mode()).precision(PrecisionPolicy.DOUBLE).build();
    }
}
