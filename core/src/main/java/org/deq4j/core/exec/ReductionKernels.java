package org.deq4j.core.exec;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sums, means, moments and their gradients over a leading and/or trailing block of dimensions,
 * computed with {@link BlockSum}'s matrix products instead of ND4J M2.1's reduction kernels
 * (measured on this project's machines, float32 [64, 1, 16, 196] over the last two dimensions, one
 * thread: {@code moments} 369 µs; {@code reduce_mean} 215 µs against 51 µs as a product). Each kernel
 * falls back to the native op (by not being chosen) when the dimensions do not form such a block or
 * an input is not a row-major contiguous array.
 */
final class ReductionKernels {
    private ReductionKernels() {
    }

    /** Dimensions normalised to [0, rank), sorted; empty (all) for null, empty or Integer.MAX_VALUE. */
    static int[] normalize(int[] dims, int rank) {
        if (dims == null || dims.length == 0 || Arrays.stream(dims).anyMatch(d -> d == Integer.MAX_VALUE)) {
            return new int[0];
        }
        return Arrays.stream(dims).map(d -> d < 0 ? d + rank : d).distinct().sorted().toArray();
    }

    /** {@code shape} with 1 along the summed dimensions (all of them for an empty {@code dims}). */
    static long[] kept(long[] shape, int[] dims) {
        long[] k = shape.clone();
        if (dims.length == 0) {
            Arrays.fill(k, 1);
        }
        for (int d : dims) {
            k[d] = 1;
        }
        return k;
    }

    /** A sum or mean of {@code in[0]} into {@code out[0]}. */
    static final class Reduce implements Kernel {
        private final BlockSum sum;

        Reduce(BlockSum sum) {
            this.sum = sum;
        }

        /** The kernel for a sum (or a mean, {@code mean} true) of {@code in} over {@code dims}, or null. */
        static Reduce of(INDArray in, int[] dims, boolean mean) {
            long n = BlockSum.count(in.shape(), dims);
            BlockSum s = n < 1 || !OpStep.rowMajorContiguous(in) ? null
                    : BlockSum.sum(in.shape(), dims, mean ? 1.0 / n : 1.0);
            return s == null ? null : new Reduce(s);
        }

        @Override
        public void bind(INDArray[] in, INDArray[] out, Scratch scratch) {
            sum.bind(in[0], out[0], scratch, 1);
        }

        @Override
        public void exec() {
            sum.exec();
        }

        @Override
        public void close() {
            sum.close();
        }
    }

    /**
     * Mean and (biased) variance: the mean as a sum, then the mean of the squared deviations
     * ({@code squaredsubtract} in one pass), two passes over the input like the native op.
     */
    static final class Moments implements Kernel {
        private final int[] dims;
        private final BlockSum mean;
        private final BlockSum meanSquare;
        private final BoundOp squaredDeviation = BoundOp.of("squaredsubtract", null, null, null);

        private Moments(int[] dims, BlockSum mean, BlockSum meanSquare) {
            this.dims = dims;
            this.mean = mean;
            this.meanSquare = meanSquare;
        }

        static Moments of(INDArray in, int[] dims) {
            long n = BlockSum.count(in.shape(), dims);
            if (n < 1 || !OpStep.rowMajorContiguous(in)) {
                return null;
            }
            BlockSum m = BlockSum.sum(in.shape(), dims, 1.0 / n);
            return m == null ? null : new Moments(dims, m, BlockSum.sum(in.shape(), dims, 1.0 / n));
        }

        @Override
        public void bind(INDArray[] in, INDArray[] out, Scratch scratch) {
            INDArray x = in[0];
            INDArray dev = scratch.get(x.dataType(), x.shape(), 0);
            mean.bind(x, out[0], scratch, 1);
            squaredDeviation.bind(new INDArray[] {x, out[0].reshape('c', kept(x.shape(), dims))}, dev);
            meanSquare.bind(dev, out[1], scratch, 1);
        }

        @Override
        public void exec() {
            mean.exec();
            squaredDeviation.exec();
            meanSquare.exec();
        }

        @Override
        public void close() {
            mean.close();
            meanSquare.close();
            squaredDeviation.close();
        }
    }

    /** The gradient of a sum or mean: the upstream gradient spread over the summed dimensions (times 1/n). */
    static final class SpreadBp implements Kernel {
        private final BlockSum spread;

        private SpreadBp(BlockSum spread) {
            this.spread = spread;
        }

        /** For input {@code x} (the reduced array) and the sum's dimensions; null if not a block. */
        static SpreadBp of(INDArray x, int[] dims, boolean mean) {
            long n = BlockSum.count(x.shape(), dims);
            BlockSum s = n < 1 ? null : BlockSum.spread(x.shape(), dims, mean ? 1.0 / n : 1.0);
            return s == null ? null : new SpreadBp(s);
        }

        @Override
        public void bind(INDArray[] in, INDArray[] out, Scratch scratch) {
            if (!OpStep.rowMajorContiguous(in[1])) {
                throw new UnsupportedGraphException("gradient of a reduction is not contiguous");
            }
            spread.bind(in[1], out[0], scratch, 1);
        }

        @Override
        public void exec() {
            spread.exec();
        }

        @Override
        public void close() {
            spread.close();
        }
    }

    /**
     * The gradient of a variance over {@code dims}: {@code g · 2 (x - mean) / d} with d = n, or n - 1
     * when bias-corrected; g is pre-scaled (a small array) so the full-size work is one subtraction
     * and one multiplication.
     */
    static final class VarianceBp implements Kernel {
        private final int[] dims;
        private final BlockSum mean;
        private final double factor;
        private final BoundOp scaleGradient = BoundOp.of("multiply", null, null, null);
        private final BoundOp deviation = BoundOp.of("subtract", null, null, null);
        private final BoundOp times = BoundOp.of("multiply", null, null, null);
        private INDArray factorArray;

        private VarianceBp(int[] dims, BlockSum mean, double factor) {
            this.dims = dims;
            this.mean = mean;
            this.factor = factor;
        }

        static VarianceBp of(INDArray x, int[] dims, boolean biasCorrected) {
            long n = BlockSum.count(x.shape(), dims);
            if (n < 2 || !OpStep.rowMajorContiguous(x)) {
                return null;
            }
            BlockSum m = BlockSum.sum(x.shape(), dims, 1.0 / n);
            return m == null ? null : new VarianceBp(dims, m, 2.0 / (biasCorrected ? n - 1 : n));
        }

        @Override
        public void bind(INDArray[] in, INDArray[] out, Scratch scratch) {
            INDArray x = in[0];
            long[] keptShape = kept(x.shape(), dims);
            INDArray mu = scratch.get(x.dataType(), keptShape, 2);
            INDArray g = scratch.get(x.dataType(), keptShape, 3);
            if (factorArray == null || factorArray.dataType() != x.dataType()) {
                try (var ignored = org.nd4j.linalg.factory.Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    factorArray = org.nd4j.linalg.factory.Nd4j.scalar(x.dataType(), factor);
                }
            }
            mean.bind(x, mu, scratch, 1);
            scaleGradient.bind(new INDArray[] {in[1].reshape('c', keptShape), factorArray}, g);
            deviation.bind(new INDArray[] {x, mu}, out[0]);
            times.bind(new INDArray[] {out[0], g}, out[0]);
        }

        @Override
        public void exec() {
            mean.exec();
            scaleGradient.exec();
            deviation.exec();
            times.exec();
        }

        @Override
        public void close() {
            mean.close();
            scaleGradient.close();
            deviation.close();
            times.close();
        }
    }
}
