package org.deq4j.core.adjoint;

import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.state.State;

/**
 * The result of a DEQ forward solve, holding what its adjoint needs for the backward pass.
 * {@link #backward} may be called more than once (for example with several output gradients);
 * each call leaves the solution unchanged.
 */
public interface DeqSolution {

    /** The solve's output: the fixed-point estimate z*, in the state data type. */
    State z();

    /** Per-sample statistics of the forward solve. */
    SolverStats stats();

    /**
     * Gradients of a loss with respect to the injection and the cell parameters, given
     * {@code gz = dL/dz*} (shaped like {@link #z()}).
     *
     * @throws org.deq4j.core.ShapeMismatchException if {@code gz} is not shaped like z*
     * @throws org.deq4j.core.DivergenceException if a gradient becomes NaN or Inf
     * @throws org.deq4j.core.DriftException for the reversible adjoint when drift checking is set to fail
     */
    DeqGradients backward(State gz);
}
