package org.deq4j.core.adjoint;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.state.State;

/**
 * A gradient strategy for a DEQ layer. An adjoint owns the forward loop (so it can keep what its
 * backward pass needs) and the backward pass; it is a small value type, validated on construction,
 * and it checks that it can differentiate the solver it is given.
 *
 * <table>
 * <caption>The strategies</caption>
 * <tr><th>adjoint</th><th>memory in steps N</th><th>exact?</th></tr>
 * <tr><td>{@link UnrolledAdjoint}</td><td>O(N)</td><td>exact for the computed trajectory</td></tr>
 * <tr><td>{@link ImplicitAdjoint}</td><td>O(1)</td><td>only at an exact fixed point</td></tr>
 * <tr><td>{@link PhantomAdjoint}</td><td>O(k)</td><td>approximation</td></tr>
 * <tr><td>{@link ReversibleAdjoint}</td><td>O(1)</td><td>exact for the computed trajectory</td></tr>
 * </table>
 */
public sealed interface Adjoint permits UnrolledAdjoint, ImplicitAdjoint, PhantomAdjoint, ReversibleAdjoint {

    /** Short name used in configurations and reports ("reversible", "unrolled", ...). */
    String name();

    /**
     * Checks that this adjoint can differentiate {@code solver}.
     *
     * @throws InvalidConfigException naming the pair and the valid alternatives
     */
    void requireCompatible(Solver<?> solver);

    /**
     * Solves for the fixed point of {@code cell} with injection {@code x} from {@code z0}. The cell
     * must already compute in the state data type of {@code z0} (see
     * {@link org.deq4j.core.precision.PrecisionPolicy#wrap}); {@link org.deq4j.core.Deq} does that.
     *
     * @throws InvalidConfigException if the solver is not compatible
     * @throws org.deq4j.core.DivergenceException if the state becomes NaN or Inf
     * @throws org.deq4j.core.ShapeMismatchException if the cell output's shapes differ from z0's
     */
    DeqSolution solve(Cell cell, State x, State z0, Solver<?> solver, StopCriterion stop);
}
