package org.deq4j.core.solver;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.state.State;

/**
 * A fixed-point solver: a small value type with {@code init} and {@code step}. The loop, stopping,
 * statistics and gradients belong to the adjoint ({@link org.deq4j.core.adjoint.Adjoint}), which
 * checks that it can differentiate the solver it is paired with.
 *
 * @param <S> the solver's iterate type
 */
public sealed interface Solver<S extends Iterate> permits DifferentiableSolver, AndersonSolver, BroydenSolver {

    /** Short name used in configurations, statistics and errors (e.g. "anderson"). */
    String name();

    /** Cell evaluations one {@link #step} costs (the initial evaluation in {@link #init} costs one). */
    int evaluationsPerStep();

    /** The iterate at {@code z0}, evaluating {@code f(z0)} once. */
    S init(Cell cell, State x, State z0);

    /**
     * Advances the iterate by one step in place. Samples outside {@code active} must keep their
     * values exactly (they have converged and are frozen).
     */
    void step(Cell cell, State x, S iterate, ActiveSet active);
}
