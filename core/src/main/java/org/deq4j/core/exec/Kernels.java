package org.deq4j.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.bp.MeanBp;
import org.nd4j.linalg.api.ops.impl.reduce.bp.SumBp;
import org.nd4j.linalg.api.ops.impl.reduce.bp.VarianceBp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Mean;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.AddBpOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.MulBpOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.SubBpOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Replacements for M2.1 native kernels that are far slower than the few simple kernels computing
 * the same thing. Measured on this project's machines (float32, 64 x 16 x 14 x 14, one thread):
 * {@code multiply_bp} with a broadcast operand 8.2 ms against 0.3 ms for a multiply and a sum;
 * {@code thresholdedrelu_bp} (SameDiff's ReLU gradient) 2.4 ms against 0.15 ms for a step and a
 * multiply. Only these broadcasting and ReLU cases are replaced; every other op runs its own kernel.
 * Results equal the native ones up to the order in which floating-point sums are taken.
 */
final class Kernels {
    private Kernels() {
    }

    /**
     * A replacement for {@code op} on these arrays, or null to run the op's own kernel.
     *
     * @param fixed per input, whether its array stays the same on every run (a planned buffer or a
     *              constant); kernels that need row-major contiguous inputs are chosen only for those
     */
    static Kernel choose(DifferentialFunction op, INDArray[] in, INDArray[] out, boolean[] fixed) {
        Kernel reduction = reduction(op, in, out, fixed);
        if (reduction != null) {
            return reduction;
        }
        if (op instanceof MulBpOp || op instanceof AddBpOp || op instanceof SubBpOp) {
            if (in.length == 3 && out.length == 2 && in[0].dataType() == in[2].dataType()
                    && in[1].dataType() == in[2].dataType()
                    && (!Arrays.equals(in[0].shape(), in[2].shape()) || !Arrays.equals(in[1].shape(), in[2].shape()))) {
                return new BroadcastBp(op instanceof MulBpOp ? BroadcastBp.Kind.MUL
                        : op instanceof AddBpOp ? BroadcastBp.Kind.ADD : BroadcastBp.Kind.SUB,
                        new boolean[] {Arrays.equals(in[0].shape(), in[2].shape()),
                                Arrays.equals(in[1].shape(), in[2].shape())});
            }
            return null;
        }
        if (op instanceof ThresholdReluBp t && in.length == 2 && out.length == 1 && t.tArgs().length == 1
                && Arrays.equals(in[0].shape(), in[1].shape()) && in[0].dataType() == in[1].dataType()) {
            return new ReluBp(t.tArgs()[0]);
        }
        return null;
    }

    private static Kernel reduction(DifferentialFunction op, INDArray[] in, INDArray[] out, boolean[] fixed) {
        if (in.length == 0 || !fixed[0] || !OpStep.rowMajorContiguous(in[0])) {
            return null;
        }
        INDArray x = in[0];
        int rank = x.rank();
        if ((op instanceof Sum || op instanceof Mean) && in.length == 1 && out.length == 1
                && out[0].dataType() == x.dataType()) {
            INDArray d = ((BaseReduceOp) op).dimensions();
            return ReductionKernels.Reduce.of(x, ReductionKernels.normalize(d == null ? null : d.toIntVector(), rank),
                    op instanceof Mean);
        }
        if (op instanceof org.nd4j.linalg.api.ops.impl.reduce.Moments m && in.length == 1 && out.length == 2
                && out[0].dataType() == x.dataType() && out[1].dataType() == x.dataType()) {
            return ReductionKernels.Moments.of(x, ReductionKernels.normalize(ints(m.iArgs()), rank));
        }
        if ((op instanceof MeanBp || op instanceof SumBp) && in.length == 2 && out.length == 1 && fixed[1]
                && OpStep.rowMajorContiguous(in[1]) && in[1].dataType() == x.dataType()) {
            return ReductionKernels.SpreadBp.of(x, ReductionKernels.normalize(ints(((DynamicCustomOp) op).iArgs()), rank),
                    op instanceof MeanBp);
        }
        if (op instanceof VarianceBp v && in.length == 2 && out.length == 1 && fixed[1]
                && OpStep.rowMajorContiguous(in[1]) && in[1].dataType() == x.dataType() && v.bArgs().length >= 2) {
            return ReductionKernels.VarianceBp.of(x, ReductionKernels.normalize(ints(v.iArgs()), rank), v.bArgs()[1]);
        }
        return null;
    }

    private static int[] ints(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    /** Dimensions of {@code full} that a broadcast operand of shape {@code operand} was repeated along. */
    static int[] broadcastDims(long[] operand, long[] full) {
        int offset = full.length - operand.length;
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < full.length; i++) {
            if (i < offset || (operand[i - offset] == 1 && full[i] != 1)) {
                dims.add(i);
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code operand}'s shape with {@code full}'s rank: 1 along the broadcast dimensions. */
    static long[] keptShape(long[] full, int[] dims) {
        long[] k = full.clone();
        for (int d : dims) {
            k[d] = 1;
        }
        return k;
    }

    /**
     * Gradients of {@code x·y}, {@code x+y} or {@code x-y} when one operand is broadcast: each
     * operand's gradient is the upstream gradient (times the other operand for a product), summed
     * over the dimensions the operand was broadcast along.
     */
    static final class BroadcastBp implements Kernel {
        enum Kind { MUL, ADD, SUB }

        private final Kind kind;
        private final boolean[] fullShape;
        private final boolean[] aliased = new boolean[2];
        private final Operand[] operands = new Operand[2];

        /** @param fullShape per operand, whether it has the upstream gradient's shape (is not broadcast) */
        BroadcastBp(Kind kind, boolean[] fullShape) {
            this.kind = kind;
            this.fullShape = fullShape;
        }

        /** A sum's (or a difference's first) operand of full shape gets the upstream gradient itself. */
        @Override
        public int aliasOf(int output) {
            boolean copiesGradient = kind == Kind.ADD || (kind == Kind.SUB && output == 0);
            return copiesGradient && fullShape[output] ? 2 : -1;
        }

        @Override
        public void useAlias(int output) {
            if (aliasOf(output) < 0) {
                throw new UnsupportedOperationException("output " + output + " is no alias");
            }
            aliased[output] = true;
        }

        @Override
        public boolean usesAlias(int output) {
            return aliased[output];
        }

        /** One operand's gradient: an optional product into a temporary, then a sum (or a copy). */
        private final class Operand {
            private final boolean negate;
            private BoundOp product;
            private BoundOp sum;
            private BlockSum blockSum;
            private boolean blockSumBound;
            private INDArray copyFrom;
            private INDArray target;
            private INDArray targetView;

            Operand(boolean negate) {
                this.negate = negate;
            }

            void bind(INDArray other, INDArray eps, INDArray grad, long[] operandShape, Scratch scratch, int slot) {
                int[] dims = broadcastDims(operandShape, eps.shape());
                INDArray source = eps;
                if (kind == Kind.MUL) {
                    INDArray prod = dims.length == 0 ? grad.reshape('c', eps.shape())
                            : scratch.get(eps.dataType(), eps.shape(), slot);
                    if (product == null) {
                        product = BoundOp.of("multiply", null, null, null);
                    }
                    product.bind(new INDArray[] {eps, other}, prod);
                    source = prod;
                    if (dims.length == 0) {
                        sum = null;
                        copyFrom = null;
                        return;
                    }
                }
                target = grad;
                if (dims.length == 0) {
                    copyFrom = source;
                    targetView = grad.reshape('c', source.shape());
                    sum = null;
                    return;
                }
                copyFrom = null;
                if (OpStep.rowMajorContiguous(source)) {
                    if (blockSum == null) {
                        blockSum = BlockSum.sum(eps.shape(), dims, 1.0);
                    }
                    if (blockSum != null) {
                        blockSum.bind(source, grad, scratch, 1);
                        blockSumBound = true;
                        return;
                    }
                }
                long[] dimArgs = Arrays.stream(dims).asLongStream().toArray();
                if (sum == null) {
                    sum = BoundOp.of("reduce_sum", dimArgs, null, new boolean[] {true});
                }
                sum.bind(new INDArray[] {source}, grad.reshape('c', keptShape(eps.shape(), dims)));
                blockSumBound = false;
            }

            void exec() {
                if (product != null) {
                    product.exec();
                }
                boolean wrote = true;
                if (blockSumBound) {
                    blockSum.exec();
                } else if (sum != null) {
                    sum.exec();
                } else if (copyFrom != null) {
                    targetView.assign(copyFrom);
                } else {
                    wrote = false;
                }
                if (negate && wrote) {
                    target.negi();
                }
            }

            void close() {
                if (product != null) {
                    product.close();
                }
                if (sum != null) {
                    sum.close();
                }
                if (blockSum != null) {
                    blockSum.close();
                }
            }
        }

        @Override
        public void bind(INDArray[] in, INDArray[] out, Scratch scratch) {
            for (int k = 0; k < 2; k++) {
                if (aliased[k]) {
                    continue;
                }
                if (operands[k] == null) {
                    operands[k] = new Operand(kind == Kind.SUB && k == 1);
                }
                operands[k].bind(in[1 - k], in[2], out[k], in[k].shape(), scratch, 0);
            }
        }

        @Override
        public void exec() {
            for (int k = 0; k < 2; k++) {
                if (!aliased[k]) {
                    operands[k].exec();
                }
            }
        }

        @Override
        public void close() {
            for (Operand o : operands) {
                if (o != null) {
                    o.close();
                }
            }
        }
    }

    /** The gradient of {@code max(x, cutoff)}-style ReLU: the upstream gradient where x > cutoff, else 0. */
    static final class ReluBp implements Kernel {
        private final double cutoff;
        private Step step;
        private INDArray stepInput;
        private BoundOp multiply;

        ReluBp(double cutoff) {
            this.cutoff = cutoff;
        }

        @Override
        public void bind(INDArray[] in, INDArray[] out, Scratch scratch) {
            INDArray mask = scratch.get(in[0].dataType(), in[0].shape(), 0);
            if (step == null || stepInput != in[0] || step.z() != mask) {
                step = new Step(in[0], mask, cutoff);
                stepInput = in[0];
            }
            if (multiply == null) {
                multiply = BoundOp.of("multiply", null, null, null);
            }
            multiply.bind(new INDArray[] {in[1], mask}, out[0]);
        }

        @Override
        public void exec() {
            Nd4j.exec(step);
            multiply.exec();
        }

        @Override
        public void close() {
            if (multiply != null) {
                multiply.close();
            }
        }
    }
}
