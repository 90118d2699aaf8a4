package org.deq4j.core.solver;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.state.State;

/**
 * A solver whose steps the unrolled adjoint can differentiate exactly from a stored trajectory
 * (backpropagation through the solver). Anderson and Broyden mix their history through a
 * least-squares or quasi-Newton update and are not differentiable this way; pair them with the
 * implicit or phantom adjoint.
 *
 * @param <S> the iterate type
 * @param <G> the cotangent type: the gradient of the loss with respect to the iterate's sequences
 */
public sealed interface DifferentiableSolver<S extends Iterate, G> extends Solver<S>
        permits FixedPointSolver, ReversibleSolver {

    /** A copy of what {@link #backpropStep} needs from this iterate, safe from later in-place steps. */
    S snapshot(S iterate);

    /** The cotangent of the final iterate when the loss reaches the solve's output z through {@code gz}. */
    G seed(S last, State gz);

    /**
     * Moves the cotangent {@code grad} in place from after step n to before it and returns it.
     * {@code before} and {@code after} are the iterates around step n; {@code active} the samples
     * that took step n. The cell gradients with respect to parameters and injection are added to
     * {@code acc}. Runs inside a loop workspace: nothing allocated here may be kept.
     */
    G backpropStep(Cell cell, State x, S before, S after, ActiveSet active, G grad, VjpAccumulator acc);
}
