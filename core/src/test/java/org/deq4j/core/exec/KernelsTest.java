package org.deq4j.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.AddBpOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.MulBpOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.SubBpOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The replacement kernels of {@link Kernels} against the native ops they replace, in float64, for
 * broadcast operands of several ranks (either operand broadcast, or both) and ReLU cutoffs.
 */
class KernelsTest {
    private static final double TOL = 1e-12;

    /** (x shape, y shape) pairs whose broadcast differs from at least one of them. */
    private static final long[][][] BROADCASTS = {
        {{2, 3, 4, 5}, {1, 3, 1, 5}},
        {{2, 3, 4, 5}, {5}},
        {{2, 3, 4, 5}, {2, 1, 4, 1}},
        {{2, 3, 4, 5}, {3, 4, 5}},
        {{1, 3, 1, 5}, {2, 3, 4, 5}},   // the first operand broadcast
        {{2, 1, 4, 1}, {1, 3, 1, 5}},   // both broadcast
        {{6, 7}, {7}},
        {{6, 7}, {6, 1}},
    };

    private static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE);
    }

    private static INDArray nans(long[] shape) {
        return Nd4j.valueArrayOf(shape, Double.NaN, DataType.DOUBLE);
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double err = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(err <= TOL * scale, what + ": max abs difference " + err + " > " + TOL * scale);
    }

    /** The native op's two gradients. */
    private static INDArray[] nativeBp(String opName, INDArray x, INDArray y, INDArray eps) {
        INDArray gx = nans(x.shape());
        INDArray gy = nans(y.shape());
        Nd4j.exec(DynamicCustomOp.builder(opName).addInputs(x, y, eps).addOutputs(gx, gy).build());
        return new INDArray[] {gx, gy};
    }

    /**
     * The replacement kernel's gradients, written into NaN-filled outputs (so unwritten elements
     * show) and run twice (so a result that accumulates or negates twice shows).
     */
    private static INDArray[] kernelBp(DifferentialFunction op, INDArray x, INDArray y, INDArray eps) {
        INDArray[] in = {x, y, eps};
        INDArray[] out = {nans(x.shape()), nans(y.shape())};
        Kernel k = Kernels.choose(op, in, out, allFixed(in.length));
        assertNotNull(k, op.opName() + " " + Arrays.toString(x.shape()) + " " + Arrays.toString(y.shape())
                + " should get a replacement kernel");
        Scratch scratch = new Scratch();
        try {
            k.bind(in, out, scratch);
            k.exec();
            k.exec();
        } finally {
            k.close();
            scratch.close();
        }
        return out;
    }

    private static void checkBroadcastBp(String opName, DifferentialFunction op) {
        int seed = 0;
        for (long[][] pair : BROADCASTS) {
            INDArray x = randn(++seed, pair[0]);
            INDArray y = randn(++seed, pair[1]);
            INDArray eps = randn(++seed, Shape.broadcastOutputShape(pair[0], pair[1]));
            INDArray[] expected = nativeBp(opName, x, y, eps);
            INDArray[] actual = kernelBp(op, x, y, eps);
            String what = opName + " " + Arrays.toString(pair[0]) + " with " + Arrays.toString(pair[1]);
            assertClose(expected[0], actual[0], what + ", dL/dx");
            assertClose(expected[1], actual[1], what + ", dL/dy");
        }
    }

    @Test
    void multiplyBpMatchesNative() {
        checkBroadcastBp("multiply_bp", new MulBpOp());
    }

    @Test
    void addBpMatchesNative() {
        checkBroadcastBp("add_bp", new AddBpOp());
    }

    @Test
    void subtractBpMatchesNative() {
        checkBroadcastBp("subtract_bp", new SubBpOp());
    }

    /** A kernel re-bound to other arrays (a placeholder changed between runs) computes on the new ones. */
    @Test
    void reboundBroadcastKernelUsesNewArrays() {
        long[] xs = {2, 3, 4, 5};
        long[] ys = {1, 3, 1, 5};
        INDArray[] out = {nans(xs), nans(ys)};
        Scratch scratch = new Scratch();
        Kernel k = Kernels.choose(new MulBpOp(), new INDArray[] {randn(1, xs), randn(2, ys), randn(3, xs)}, out, allFixed(3));
        assertNotNull(k);
        try {
            for (int round = 0; round < 2; round++) {
                INDArray x = randn(10 + round, xs);
                INDArray y = randn(20 + round, ys);
                INDArray eps = randn(30 + round, xs);
                k.bind(new INDArray[] {x, y, eps}, out, scratch);
                k.exec();
                INDArray[] expected = nativeBp("multiply_bp", x, y, eps);
                assertClose(expected[0], out[0], "round " + round + ", dL/dx");
                assertClose(expected[1], out[1], "round " + round + ", dL/dy");
            }
        } finally {
            k.close();
            scratch.close();
        }
    }

    /** Same shapes need no reduction: the native kernel is kept. */
    @Test
    void sameShapesKeepTheNativeKernel() {
        INDArray a = randn(1, 3, 4);
        INDArray[] in = {a, randn(2, 3, 4), randn(3, 3, 4)};
        INDArray[] out = {nans(a.shape()), nans(a.shape())};
        assertNull(Kernels.choose(new MulBpOp(), in, out, allFixed(in.length)));
        assertNull(Kernels.choose(new AddBpOp(), in, out, allFixed(in.length)));
        assertNull(Kernels.choose(new SubBpOp(), in, out, allFixed(in.length)));
    }

    @Test
    void thresholdedReluBpMatchesNative() {
        for (double cutoff : new double[] {0.0, 0.3, -0.4}) {
            INDArray x = randn(7, 4, 5, 6);
            // values exactly at the cutoff, where "x > cutoff" and "x >= cutoff" differ
            x.putScalar(0, cutoff);
            x.putScalar(17, cutoff);
            x.putScalar(63, cutoff);
            INDArray g = randn(8, 4, 5, 6);
            INDArray expected = nans(x.shape());
            Nd4j.exec(new ThresholdReluBp(x, g, expected, cutoff));

            INDArray actual = nans(x.shape());
            INDArray[] in = {x, g};
            INDArray[] out = {actual};
            Kernel k = Kernels.choose(new ThresholdReluBp(x, g, actual, cutoff), in, out, allFixed(in.length));
            assertNotNull(k, "thresholdedrelu_bp should get a replacement kernel");
            Scratch scratch = new Scratch();
            try {
                k.bind(in, out, scratch);
                k.exec();
                k.exec();
            } finally {
                k.close();
                scratch.close();
            }
            assertClose(expected, actual, "thresholdedrelu_bp cutoff " + cutoff);
        }
    }

    /** Every input as if it were a planned buffer (the kernels' own checks still apply). */
    private static boolean[] allFixed(int n) {
        boolean[] f = new boolean[n];
        java.util.Arrays.fill(f, true);
        return f;
    }
}
