package org.deq4j.core.adjoint;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.state.State;

/**
 * The result of a solve without gradient ({@link org.deq4j.core.Deq#infer}): the fixed-point estimate
 * and the solve's per-sample statistics, and nothing kept for a backward pass.
 *
 * @param z     the fixed-point estimate z*, in the state data type
 * @param stats per-sample steps and residuals of the solve
 */
public record FixedPoint(State z, SolverStats stats) {

    /**
     * Solves for the fixed point of {@code cell} (already computing in the state type) from {@code z0}
     * with the forward loop every adjoint runs, so the result equals a training solve's z*.
     *
     * @throws org.deq4j.core.DivergenceException if the state becomes NaN or Inf
     * @throws org.deq4j.core.ShapeMismatchException if the cell output's shapes differ from z0's
     */
    public static FixedPoint solve(Cell cell, State x, State z0, Solver<?> solver, StopCriterion stop) {
        ForwardLoop.Outcome<?> out = ForwardLoop.run("forward solve", solver, cell, x, z0, stop, it -> { });
        return new FixedPoint(out.iterate().z(), out.stats());
    }
}
