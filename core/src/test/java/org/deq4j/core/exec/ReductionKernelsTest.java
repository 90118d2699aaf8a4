package org.deq4j.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.impl.reduce.Moments;
import org.nd4j.linalg.api.ops.impl.reduce.bp.MeanBp;
import org.nd4j.linalg.api.ops.impl.reduce.bp.SumBp;
import org.nd4j.linalg.api.ops.impl.reduce.bp.VarianceBp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Mean;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reduction kernels of {@link ReductionKernels} (chosen by {@link Kernels}) against the native
 * ops they replace: sums and means (legacy {@code Sum}/{@code Mean}), {@code moments}, and the
 * gradients {@code reduce_mean_bp}, {@code reduce_sum_bp} and {@code reduce_variance_bp}; for
 * trailing, leading, leading-and-trailing and all-dimension blocks, with and without kept
 * dimensions, in float64 and float32. Also the cases where the native kernel must be kept.
 */
class ReductionKernelsTest {
    private static final double TOL64 = 1e-12;
    private static final double TOL32 = 1e-5;

    /** (shape, dimensions) whose dimensions form a leading and/or trailing block; empty or MAX_VALUE: all. */
    private static final Object[][] CASES = {
        {new long[] {4, 3, 5, 6}, new int[] {2, 3}},             // trailing block
        {new long[] {4, 3, 5, 6}, new int[] {3}},                // one trailing dimension
        {new long[] {4, 3, 5, 6}, new int[] {-2, -1}},           // trailing block, negative axes
        {new long[] {4, 3, 5, 6}, new int[] {1, 2, 3}},
        {new long[] {4, 3, 5, 6}, new int[] {0}},                // leading block
        {new long[] {4, 3, 5, 6}, new int[] {0, 1}},
        {new long[] {4, 3, 5, 6}, new int[] {0, 1, 2}},
        {new long[] {4, 3, 5, 6}, new int[] {0, 3}},             // leading and trailing
        {new long[] {4, 3, 5, 6}, new int[] {0, 1, 3}},
        {new long[] {4, 3, 5, 6}, new int[] {}},                 // all
        {new long[] {4, 3, 5, 6}, new int[] {Integer.MAX_VALUE}},
        {new long[] {4, 3, 5, 6}, new int[] {0, 1, 2, 3}},
        {new long[] {2, 3, 4}, new int[] {0, 2}},
        {new long[] {4, 1, 6}, new int[] {1, 2}},               // a summed dimension of size 1
        {new long[] {6, 7}, new int[] {0}},
        {new long[] {6, 7}, new int[] {1}},
        {new long[] {7}, new int[] {0}},
    };

    /** The reductions under test; for a gradient the inputs are (x, dL/dy), the output dL/dx. */
    private enum Red {
        SUM, MEAN, MOMENTS, SUM_BP, MEAN_BP, VARIANCE_BP, VARIANCE_BP_CORRECTED;

        boolean isBp() {
            return this == SUM_BP || this == MEAN_BP || this == VARIANCE_BP || this == VARIANCE_BP_CORRECTED;
        }

        /** The op on these arrays; dimensions as a SameDiff op would carry them. */
        DifferentialFunction op(INDArray[] in, INDArray[] out, boolean keepDims, int[] dims) {
            switch (this) {
                case SUM:
                    return new Sum(in[0], null, out[0], keepDims, dims);
                case MEAN:
                    return new Mean(in[0], null, out[0], keepDims, dims);
                case MOMENTS: {
                    Moments m = new Moments(in[0], dims, keepDims);
                    m.addOutputArgument(out);
                    return m;
                }
                case SUM_BP: {
                    SumBp s = new SumBp(in[0], in[1], out[0], keepDims);
                    if (dims.length > 0 && !(dims.length == 1 && dims[0] == Integer.MAX_VALUE)) {
                        s.addIArgument(dims);
                    }
                    return s;
                }
                case MEAN_BP:
                    return new MeanBp(in[0], in[1], out[0], keepDims, dims);
                case VARIANCE_BP:
                    return new VarianceBp(in[0], in[1], out[0], false, keepDims, dims);
                case VARIANCE_BP_CORRECTED:
                    return new VarianceBp(in[0], in[1], out[0], true, keepDims, dims);
                default:
                    throw new AssertionError(this);
            }
        }
    }

    private static INDArray randn(long seed, DataType type, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(type);
    }

    private static INDArray nans(DataType type, long[] shape) {
        return Nd4j.valueArrayOf(shape, Double.NaN, type);
    }

    /** The shape of a reduction of {@code shape} over {@code dims}. */
    private static long[] reducedShape(long[] shape, int[] dims, boolean keepDims) {
        boolean all = dims.length == 0 || (dims.length == 1 && dims[0] == Integer.MAX_VALUE);
        boolean[] summed = new boolean[shape.length];
        for (int i = 0; i < shape.length; i++) {
            summed[i] = all;
        }
        if (!all) {
            for (int i : dims) {
                summed[i < 0 ? i + shape.length : i] = true;
            }
        }
        List<Long> r = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (!summed[i]) {
                r.add(shape[i]);
            } else if (keepDims) {
                r.add(1L);
            }
        }
        return r.stream().mapToLong(Long::longValue).toArray();
    }

    private static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** Equal shapes, no NaN, max difference within {@code tol} relative to max(1, max |expected|). */
    private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double[] e = values(expected);
        double[] a = values(actual);
        assertEquals(e.length, a.length, what + " length");
        double scale = 1.0;
        for (double v : e) {
            assertTrue(Double.isFinite(v), what + ": native result not finite");
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - a[i]);
            if (!(d <= tol * scale)) {
                fail(what + ": element " + i + " expected " + e[i] + " but was " + a[i] + " (tolerance " + tol * scale + ")");
            }
        }
    }

    private static void execNative(DifferentialFunction op) {
        if (op instanceof CustomOp c) {
            Nd4j.exec(c);
        } else {
            Nd4j.exec((Op) op);
        }
    }

    /**
     * Runs the native op into {@code out}. M2.1's {@code reduce_variance_bp} takes its factor as the
     * float {@code 2.0f / d} (d = n, or n - 1 when bias-corrected) even for float64 arrays, so its
     * float64 results are off by that factor's rounding (relative 5e-8 for d = 30); they are
     * rescaled to the exact factor (one more rounding) to serve as a float64 reference.
     */
    private static void execNative(Red red, INDArray[] in, INDArray[] out, boolean keepDims, int[] dims) {
        execNative(red.op(in, out, keepDims, dims));
        if ((red == Red.VARIANCE_BP || red == Red.VARIANCE_BP_CORRECTED) && out[0].dataType() == DataType.DOUBLE) {
            long n = in[0].length() / in[1].length();
            double exact = 2.0 / (red == Red.VARIANCE_BP_CORRECTED ? n - 1 : n);
            out[0].muli(exact / (float) exact);
        }
    }

    private static boolean[] allFixed(int n) {
        boolean[] f = new boolean[n];
        Arrays.fill(f, true);
        return f;
    }

    /**
     * Runs the replacement kernel into NaN-filled outputs (so unwritten elements show), twice (so a
     * result that accumulates shows).
     */
    private static void runKernel(DifferentialFunction op, INDArray[] in, INDArray[] out, String what) {
        Kernel k = Kernels.choose(op, in, out, allFixed(in.length));
        assertNotNull(k, what + " should get a replacement kernel");
        Scratch scratch = new Scratch();
        try {
            k.bind(in, out, scratch);
            k.exec();
            k.exec();
        } finally {
            k.close();
            scratch.close();
        }
    }

    /** Inputs of {@code red} on {@code shape} over {@code dims}: x, and for a gradient dL/dy. */
    private static INDArray[] inputs(Red red, DataType type, long[] shape, int[] dims, boolean keepDims, long seed) {
        INDArray x = randn(seed, type, shape).addi(0.5);
        if (!red.isBp()) {
            return new INDArray[] {x};
        }
        return new INDArray[] {x, randn(seed + 1000, type, reducedShape(shape, dims, keepDims))};
    }

    private static INDArray[] outputs(Red red, DataType type, long[] shape, int[] dims, boolean keepDims) {
        if (red.isBp()) {
            return new INDArray[] {nans(type, shape)};
        }
        long[] r = reducedShape(shape, dims, keepDims);
        return red == Red.MOMENTS ? new INDArray[] {nans(type, r), nans(type, r)} : new INDArray[] {nans(type, r)};
    }

    private static void check(Red red, DataType type, double tol) {
        long seed = 0;
        for (Object[] c : CASES) {
            long[] shape = (long[]) c[0];
            int[] dims = (int[]) c[1];
            for (boolean keepDims : new boolean[] {false, true}) {
                String what = red + " " + type + " " + Arrays.toString(shape) + " over " + Arrays.toString(dims)
                        + (keepDims ? " keepDims" : "");
                INDArray[] in = inputs(red, type, shape, dims, keepDims, ++seed);
                INDArray[] expected = outputs(red, type, shape, dims, keepDims);
                execNative(red, in, expected, keepDims, dims);
                INDArray[] actual = outputs(red, type, shape, dims, keepDims);
                runKernel(red.op(in, actual, keepDims, dims), in, actual, what);
                for (int i = 0; i < expected.length; i++) {
                    assertClose(expected[i], actual[i], tol, what + ", output " + i);
                }
            }
        }
    }

    @Test
    void sumMatchesNative() {
        check(Red.SUM, DataType.DOUBLE, TOL64);
    }

    @Test
    void meanMatchesNative() {
        check(Red.MEAN, DataType.DOUBLE, TOL64);
    }

    @Test
    void momentsMatchNative() {
        check(Red.MOMENTS, DataType.DOUBLE, TOL64);
    }

    @Test
    void sumBpMatchesNative() {
        check(Red.SUM_BP, DataType.DOUBLE, TOL64);
    }

    @Test
    void meanBpMatchesNative() {
        check(Red.MEAN_BP, DataType.DOUBLE, TOL64);
    }

    @Test
    void varianceBpMatchesNative() {
        check(Red.VARIANCE_BP, DataType.DOUBLE, TOL64);
    }

    @Test
    void biasCorrectedVarianceBpMatchesNative() {
        check(Red.VARIANCE_BP_CORRECTED, DataType.DOUBLE, TOL64);
    }

    @Test
    void allMatchNativeInFloat32() {
        for (Red red : Red.values()) {
            check(red, DataType.FLOAT, TOL32);
        }
    }

    /** A kernel re-bound to other arrays (a placeholder changed between runs) computes on the new ones. */
    @Test
    void reboundKernelsUseNewArrays() {
        long[] shape = {4, 3, 5, 6};
        int[] dims = {0, 3};
        for (Red red : Red.values()) {
            INDArray[] first = inputs(red, DataType.DOUBLE, shape, dims, false, 1);
            INDArray[] out = outputs(red, DataType.DOUBLE, shape, dims, false);
            Kernel k = Kernels.choose(red.op(first, out, false, dims), first, out, allFixed(first.length));
            assertNotNull(k, red + " should get a replacement kernel");
            Scratch scratch = new Scratch();
            try {
                for (int round = 0; round < 2; round++) {
                    INDArray[] in = inputs(red, DataType.DOUBLE, shape, dims, false, 10 + round);
                    k.bind(in, out, scratch);
                    k.exec();
                    INDArray[] expected = outputs(red, DataType.DOUBLE, shape, dims, false);
                    execNative(red, in, expected, false, dims);
                    for (int i = 0; i < expected.length; i++) {
                        assertClose(expected[i], out[i], TOL64, red + " round " + round + ", output " + i);
                    }
                }
            } finally {
                k.close();
                scratch.close();
            }
        }
    }

    /** Dimensions that are no leading or trailing block: the native kernel is kept. */
    @Test
    void nonBlockDimensionsKeepTheNativeKernel() {
        Object[][] nonBlock = {
            {new long[] {3, 4, 5}, new int[] {1}},
            {new long[] {3, 4, 5, 6}, new int[] {0, 2}},
            {new long[] {3, 4, 5, 6}, new int[] {1, 2}},
            {new long[] {3, 4, 5, 6}, new int[] {-3}},
        };
        for (Object[] c : nonBlock) {
            long[] shape = (long[]) c[0];
            int[] dims = (int[]) c[1];
            for (Red red : Red.values()) {
                INDArray[] in = inputs(red, DataType.DOUBLE, shape, dims, false, 1);
                INDArray[] out = outputs(red, DataType.DOUBLE, shape, dims, false);
                assertNull(Kernels.choose(red.op(in, out, false, dims), in, out, allFixed(in.length)),
                        red + " " + Arrays.toString(shape) + " over " + Arrays.toString(dims));
            }
        }
    }

    /** An input that is a permuted view, or not a fixed array, keeps the native kernel. */
    @Test
    void nonContiguousOrUnfixedInputsKeepTheNativeKernel() {
        int[] dims = {2};
        for (Red red : Red.values()) {
            // x: [3, 4, 5] as a permuted view of a [5, 4, 3] array
            INDArray view = randn(1, DataType.DOUBLE, 5, 4, 3).permute(2, 1, 0);
            assertTrue(!OpStep.rowMajorContiguous(view));
            INDArray[] in = inputs(red, DataType.DOUBLE, view.shape(), dims, false, 2);
            in[0] = view;
            INDArray[] out = outputs(red, DataType.DOUBLE, view.shape(), dims, false);
            assertNull(Kernels.choose(red.op(in, out, false, dims), in, out, allFixed(in.length)),
                    red + " of a permuted view");

            INDArray[] contiguous = inputs(red, DataType.DOUBLE, view.shape(), dims, false, 3);
            assertNotNull(Kernels.choose(red.op(contiguous, out, false, dims), contiguous, out, allFixed(contiguous.length)),
                    red + " of a contiguous array");
            for (int i = 0; i < contiguous.length; i++) {
                boolean[] fixed = allFixed(contiguous.length);
                fixed[i] = false;
                assertNull(Kernels.choose(red.op(contiguous, out, false, dims), contiguous, out, fixed),
                        red + " with input " + i + " not fixed");
            }
            if (red.isBp()) {
                // dL/dy: [3, 4] as a transposed view of a [4, 3] array
                INDArray g = randn(4, DataType.DOUBLE, 4, 3).transpose();
                assertTrue(!OpStep.rowMajorContiguous(g));
                INDArray[] withView = {contiguous[0], g};
                assertNull(Kernels.choose(red.op(withView, out, false, dims), withView, out, allFixed(2)),
                        red + " of a transposed gradient");
            }
        }
    }

    /** The variance of a single value has no bias-corrected gradient kernel (n - 1 = 0). */
    @Test
    void biasCorrectedVarianceBpOfOneValueKeepsTheNativeKernel() {
        long[] shape = {4, 1};
        int[] dims = {1};
        Red red = Red.VARIANCE_BP_CORRECTED;
        INDArray[] in = inputs(red, DataType.DOUBLE, shape, dims, false, 1);
        INDArray[] out = outputs(red, DataType.DOUBLE, shape, dims, false);
        assertNull(Kernels.choose(red.op(in, out, false, dims), in, out, allFixed(in.length)));
    }
}
