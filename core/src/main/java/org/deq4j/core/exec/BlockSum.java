package org.deq4j.core.exec;

import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sum over some dimensions of a row-major array computed as matrix products with vectors of
 * ones (oneDNN's matmul), for dimensions that form a leading block, a trailing block, or both; or
 * the reverse, spreading values over those dimensions (the sum's gradient). ND4J M2.1's reduction
 * kernels are 3 to 30 times slower here: the row sums of a 64 x 3136 float32 matrix took 179 µs with
 * {@code reduce_sum} and 51 µs as a matrix-vector product, its column sums 96 µs against 36 µs
 * (one thread). The same sums in another order: results differ from the native reduction only by
 * rounding.
 *
 * <p>The input is viewed as {@code [lead, middle, trail]}, lead and trail being the products of the
 * summed leading and trailing dimensions; a sum has {@code middle} results. Every result is
 * multiplied by {@code scale} at no cost (it is the value of the ones), so 1/n gives means.
 *
 * <p>Created once per op; {@link #bind} may be called again with other arrays of the same shapes.
 */
final class BlockSum {
    private final long lead;
    private final long middle;
    private final long trail;
    private final double scale;
    private final boolean spread;
    private BoundOp first;
    private BoundOp second;
    private INDArray onesLead;
    private INDArray onesTrail;

    private BlockSum(long lead, long middle, long trail, double scale, boolean spread) {
        this.lead = lead;
        this.middle = middle;
        this.trail = trail;
        this.scale = scale;
        this.spread = spread;
    }

    /**
     * Sums of {@code shape} over {@code dims} (normalized; empty means all dimensions), times
     * {@code scale}; null when the dimensions form neither a leading nor a trailing block (nor both).
     */
    static BlockSum sum(long[] shape, int[] dims, double scale) {
        long[] p = split(shape, dims);
        return p == null ? null : new BlockSum(p[0], p[1], p[2], scale, false);
    }

    /** The reverse: {@code scale ·} values repeated over {@code dims} of {@code shape}; null as {@link #sum}. */
    static BlockSum spread(long[] shape, int[] dims, double scale) {
        long[] p = split(shape, dims);
        return p == null ? null : new BlockSum(p[0], p[1], p[2], scale, true);
    }

    /** The number of values each sum adds. */
    static long count(long[] shape, int[] dims) {
        long[] p = split(shape, dims);
        return p == null ? -1 : p[0] * p[2];
    }

    /**
     * Binds the arrays, both row-major contiguous: for a sum, {@code in} has the full shape and
     * {@code out} (any shape) the results; for a spread, the other way round.
     *
     * @param scratchIndex which of the program's temporaries this may use when two products are needed
     */
    void bind(INDArray in, INDArray out, Scratch scratch, int scratchIndex) {
        DataType t = in.dataType();
        if (onesLead == null || onesLead.dataType() != t) {
            // the scale is applied once: by the leading ones if there are leading dimensions
            onesLead = ones(t, lead, scale);
            onesTrail = ones(t, trail, lead > 1 ? 1.0 : scale);
        }
        if (first == null) {
            first = BoundOp.of("matmul", null, null, null);
            second = lead > 1 && trail > 1 ? BoundOp.of("matmul", null, null, null) : null;
        }
        if (!spread) {
            if (lead > 1 && trail > 1) {
                INDArray partial = scratch.get(t, new long[] {lead * middle, 1}, scratchIndex);
                first.bind(new INDArray[] {in.reshape('c', lead * middle, trail), onesTrail.reshape(trail, 1)}, partial);
                second.bind(new INDArray[] {onesLead.reshape(1, lead), partial.reshape('c', lead, middle)},
                        out.reshape('c', 1, middle));
            } else if (lead > 1) {
                first.bind(new INDArray[] {onesLead.reshape(1, lead), in.reshape('c', lead, middle * trail)},
                        out.reshape('c', 1, middle));
            } else {
                first.bind(new INDArray[] {in.reshape('c', middle, trail), onesTrail.reshape(trail, 1)},
                        out.reshape('c', middle, 1));
            }
        } else {
            if (lead > 1 && trail > 1) {
                INDArray partial = scratch.get(t, new long[] {lead, middle}, scratchIndex);
                first.bind(new INDArray[] {onesLead.reshape(lead, 1), in.reshape('c', 1, middle)}, partial);
                second.bind(new INDArray[] {partial.reshape('c', lead * middle, 1), onesTrail.reshape(1, trail)},
                        out.reshape('c', lead * middle, trail));
            } else if (lead > 1) {
                first.bind(new INDArray[] {onesLead.reshape(lead, 1), in.reshape('c', 1, middle)},
                        out.reshape('c', lead, middle * trail));
            } else {
                first.bind(new INDArray[] {in.reshape('c', middle, 1), onesTrail.reshape(1, trail)},
                        out.reshape('c', middle, trail));
            }
        }
    }

    void exec() {
        first.exec();
        if (second != null) {
            second.exec();
        }
    }

    void close() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }

    /** [lead, middle, trail] for summing {@code shape} over {@code dims}, or null. */
    private static long[] split(long[] shape, int[] dims) {
        int r = shape.length;
        boolean[] summed = new boolean[r];
        if (dims.length == 0) {
            Arrays.fill(summed, true);
        }
        for (int d : dims) {
            if (d < 0 || d >= r) {
                return null;
            }
            summed[d] = true;
        }
        int i = 0;
        while (i < r && summed[i]) {
            i++;
        }
        int j = r;
        while (j > i && summed[j - 1]) {
            j--;
        }
        for (int k = i; k < j; k++) {
            if (summed[k]) {
                return null;
            }
        }
        return new long[] {prod(shape, 0, i), prod(shape, i, j), prod(shape, j, r)};
    }

    private static INDArray ones(DataType t, long n, double value) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.valueArrayOf(new long[] {n}, value, t);
        }
    }

    private static long prod(long[] shape, int from, int to) {
        long p = 1;
        for (int k = from; k < to; k++) {
            p *= shape[k];
        }
        return p;
    }
}
