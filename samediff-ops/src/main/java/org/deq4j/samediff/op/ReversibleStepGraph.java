package org.deq4j.samediff.op;

import org.nd4j.autodiff.samediff.SDVariable;

/**
 * The reversible solver's half-step and its inverse as SameDiff operations: the symbolic twin of
 * {@link org.deq4j.core.solver.ReversibleSolver} (the eager one), written once for every graph that
 * runs the reversible iteration: the RevDEQ op's forward and reverse loops and the static unrolled
 * baseline ({@link org.deq4j.samediff.unrolled.UnrolledRevDeq}). A step is two half-steps,
 * {@code y' = relax(y, f(z), β)} then {@code z' = relax(z, f(y'), β)}; the reverse undoes them in the
 * opposite order.
 *
 * <p>The operation order is part of the contract: the op's results are compared bit for bit with the
 * unrolled baseline and with recorded accuracies, so both must round the same way.
 */
public final class ReversibleStepGraph {
    private ReversibleStepGraph() {
    }

    /** {@code (1-β)·prev + β·f}: one half-step of the reversible iteration. */
    public static SDVariable relax(SDVariable prev, SDVariable f, double beta) {
        return prev.mul(1 - beta).add(f.mul(beta));
    }

    /** {@code (next - β·f) / (1-β)}: the half-step's inverse, given the same {@code f}; β ≠ 1. */
    public static SDVariable unrelax(SDVariable next, SDVariable f, double beta) {
        double keep = 1 - beta;
        return next.mul(1 / keep).add(f.mul(-beta / keep));
    }

    /** Per-sample freezing for one loop iteration: the mask and its complement, built once per iteration. */
    record Freeze(SDVariable active, SDVariable frozen) {
        /** {@code active}: 1 for samples still iterating, 0 for frozen ones, shaped to broadcast over a state. */
        static Freeze of(SDVariable active) {
            return new Freeze(active, active.rsub(1.0));
        }

        /** {@code updated} for active samples, {@code previous} for frozen ones. */
        SDVariable select(SDVariable updated, SDVariable previous) {
            return updated.mul(active).add(previous.mul(frozen));
        }
    }
}
