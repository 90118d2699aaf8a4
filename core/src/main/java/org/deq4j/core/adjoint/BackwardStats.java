package org.deq4j.core.adjoint;

import java.util.Optional;
import java.util.OptionalDouble;

import org.deq4j.core.solver.SolverStats;

/**
 * What one backward pass cost and measured.
 *
 * @param cellEvaluations cell evaluations spent (a VJP evaluation counts once)
 * @param drift           reversible adjoint only: the largest absolute difference between the rebuilt
 *                        initial state (y0 and z0) and the known z0; a measure of accumulated rounding
 * @param solve           implicit adjoint only: statistics of the backward linear fixed-point solve
 */
public record BackwardStats(int cellEvaluations, OptionalDouble drift, Optional<SolverStats> solve) {
    static BackwardStats of(int evaluations) {
        return new BackwardStats(evaluations, OptionalDouble.empty(), Optional.empty());
    }
}
