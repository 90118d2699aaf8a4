package org.deq4j.core.adjoint;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.solver.ActiveSet;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.nd4j.linalg.api.memory.MemoryWorkspace;

/**
 * The RevDEQ gradient: exact reverse-mode differentiation of the {@link ReversibleSolver}'s loop
 * with the trajectory rebuilt backwards by inverting each step, so memory stays constant in the
 * number of steps (the final y and z, four state-sized cotangents and one cell VJP's activations).
 * Costs two cell VJP evaluations per step. Only valid with the reversible solver.
 *
 * <p>After rebuilding down to step 0 it compares the rebuilt y0 and z0 with the known z0: that
 * drift measures the rounding error the inversions accumulated, and {@link #drift()} says what to
 * do when it is too large.
 *
 * @param drift what to do with the measured drift
 */
public record ReversibleAdjoint(DriftCheck drift) implements Adjoint {
    private static final String WORKSPACE = "DEQ4J_BACKWARD_LOOP";

    public ReversibleAdjoint {
        Objects.requireNonNull(drift, "drift");
    }

    /** With the default drift check (warn above 1e-6). */
    public ReversibleAdjoint() {
        this(DriftCheck.DEFAULT);
    }

    @Override
    public String name() {
        return "reversible";
    }

    @Override
    public void requireCompatible(Solver<?> solver) {
        if (!(solver instanceof ReversibleSolver)) {
            throw new InvalidConfigException("the reversible adjoint only differentiates the 'reversible' solver,"
                    + " not '" + solver.name() + "': its backward pass inverts the reversible solver's steps."
                    + " Use solver 'reversible' (beta in (0,2), not 1), or adjoint 'implicit', 'phantom' or"
                    + " 'unrolled' with '" + solver.name() + "'");
        }
    }

    @Override
    public DeqSolution solve(Cell cell, State x, State z0, Solver<?> solver, StopCriterion stop) {
        requireCompatible(solver);
        ReversibleSolver rev = (ReversibleSolver) solver;
        ForwardLoop.Outcome<ReversibleSolver.Iterate> out =
                ForwardLoop.run("forward solve", rev, cell, x, z0, stop, it -> { });
        ReversibleSolver.Iterate last = out.iterate();
        State initial = z0.dup();
        return new AdjointSolution(last.z(), out.stats(),
                gz -> reverse(rev, cell, x, last, initial, out.stats().steps(), gz));
    }

    private DeqGradients reverse(ReversibleSolver solver, Cell cell, State x, ReversibleSolver.Iterate last,
            State z0, int[] steps, State gz) {
        ReversibleSolver.Iterate it = new ReversibleSolver.Iterate(last.y().dup(), last.z().dup(), last.fz());
        ReversibleSolver.Cotangent grad = solver.seed(last, gz);
        VjpAccumulator acc = new VjpAccumulator(cell, x);
        int n = 0;
        for (int s : steps) {
            n = Math.max(n, s);
        }
        for (int step = n; step >= 1; step--) {
            try (MemoryWorkspace ws = Workspaces.iteration(WORKSPACE)) {
                solver.reverseInPlace(cell, x, it, ActiveSet.reaching(steps, step, gz.dataType()), grad, acc);
            }
        }
        ForwardLoop.requireFinite("reversible backward", acc.gx(), 0);
        double measured = Math.max(it.z().maxAbsDifference(z0), it.y().maxAbsDifference(z0));
        drift.apply(measured, n, solver.beta());
        return new DeqGradients(acc.gx(), acc.gParams(),
                new BackwardStats(acc.evaluations(), OptionalDouble.of(measured), Optional.empty()));
    }
}
