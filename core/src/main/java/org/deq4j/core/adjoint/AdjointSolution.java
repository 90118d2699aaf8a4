package org.deq4j.core.adjoint;

import java.util.function.Function;

import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.state.State;

/**
 * The {@link DeqSolution} every adjoint returns: the forward result plus the adjoint's backward pass,
 * which receives the output gradient already checked against z*'s shapes and cast to its data type.
 */
record AdjointSolution(State z, SolverStats stats, Function<State, DeqGradients> gradient) implements DeqSolution {

    @Override
    public DeqGradients backward(State gz) {
        z.requireSameShape(gz, "output gradient", true);
        return gradient.apply(gz.castTo(z.dataType()));
    }
}
