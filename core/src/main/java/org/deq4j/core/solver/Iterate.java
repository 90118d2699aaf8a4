package org.deq4j.core.solver;

import org.deq4j.core.state.State;

/**
 * A solver's working state between steps. Every solver keeps at least the current iterate
 * {@code z} and {@code f(z)}, from which the loop measures the residual; solvers add their own
 * history (Anderson, Broyden) or second sequence (reversible).
 */
public interface Iterate {
    /** The current estimate of the fixed point, in the state data type. */
    State z();

    /** {@code f(z)} at the current estimate. */
    State fz();
}
