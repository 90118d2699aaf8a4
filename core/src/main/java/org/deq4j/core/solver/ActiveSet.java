package org.deq4j.core.solver;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The samples of a batch that still take part in a step: a 0/1 mask plus a fast path for the
 * common case where every sample is active (a fixed number of steps), in which masking is skipped.
 */
public final class ActiveSet {
    private final INDArray mask;
    private final long count;

    private ActiveSet(INDArray mask, long count) {
        this.mask = mask;
        this.count = count;
    }

    /** Every one of {@code batch} samples active. */
    public static ActiveSet all(long batch, DataType type) {
        return new ActiveSet(Nd4j.ones(type, batch), batch);
    }

    /** The samples whose flag is true. */
    public static ActiveSet of(boolean[] active, DataType type) {
        double[] m = new double[active.length];
        long n = 0;
        for (int i = 0; i < active.length; i++) {
            if (active[i]) {
                m[i] = 1;
                n++;
            }
        }
        return new ActiveSet(Nd4j.createFromArray(m).castTo(type), n);
    }

    /** The samples that have taken at least {@code step} steps, given each sample's step count. */
    public static ActiveSet reaching(int[] steps, int step, DataType type) {
        boolean[] a = new boolean[steps.length];
        for (int i = 0; i < steps.length; i++) {
            a[i] = steps[i] >= step;
        }
        return of(a, type);
    }

    public boolean isAll() {
        return count == mask.length();
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** Number of active samples. */
    public long count() {
        return count;
    }

    /** Per-sample activity as Java flags, length batch size. */
    public boolean[] flags() {
        double[] m = mask.toDoubleVector();
        boolean[] f = new boolean[m.length];
        for (int i = 0; i < m.length; i++) {
            f[i] = m[i] != 0;
        }
        return f;
    }

    /** The 0/1 mask, length batch size. */
    public INDArray mask() {
        return mask;
    }

    /** {@code target = candidate} for active samples; inactive samples keep {@code target}'s values. */
    public void update(State target, State candidate) {
        if (isAll()) {
            target.assignInPlace(candidate);
        } else if (!isEmpty()) {
            target.selectInPlace(mask, candidate);
        }
    }

    /** {@code g} with inactive samples zeroed; {@code g} itself when all are active. */
    public State restrict(State g) {
        return isAll() ? g : g.dup().maskInPlace(mask);
    }
}
