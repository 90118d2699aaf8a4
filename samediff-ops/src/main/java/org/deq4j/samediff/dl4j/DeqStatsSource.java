package org.deq4j.samediff.dl4j;

import java.util.Optional;

import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.solver.SolverStats;

/**
 * A DEQ vertex or layer at run time, as far as its solver statistics go: what the most recent solve
 * and backward pass spent, and counters that tell whether they are new.
 */
public interface DeqStatsSource {

    /** The vertex or layer name. */
    String deqName();

    /** Statistics of the most recent solve (training or inference), if any. */
    Optional<SolverStats> lastForwardStats();

    /** Statistics of the most recent backward pass, if any. */
    Optional<BackwardStats> lastBackwardStats();

    /** Number of solves so far. */
    long forwardCount();

    /** Number of backward passes so far. */
    long backwardCount();
}
