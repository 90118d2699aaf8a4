package org.deq4j.core.exec;

import java.util.Arrays;
import java.util.List;

import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseOp;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One native operation with its own {@link OpContext}: arguments set once, input arrays re-bound
 * only when a slot holds a different array than last time (placeholders, parameters), outputs bound
 * once to planned buffers. Running it is one native call.
 */
final class OpStep implements Step {
    private final DifferentialFunction op;
    private final boolean custom;
    private final int[] in;
    private final int[] out;
    private final DataType[] outTypes;
    private final int scalarSlot;
    private final OpContext oc;
    private final INDArray[] boundIn;
    private final INDArray[] boundOut;
    private final Scratch scratch;
    private final Listeners listeners;
    private final SameDiffOp sdOp;
    private final SlotPlan plan;
    private final int position;
    private final long hash;
    private Mode mode;
    private Kernel kernel;
    private long[][] viewShapes;

    /** How the step computes its outputs, decided the first time it is traced. */
    private enum Mode {
        /** The op's own native kernel. */
        NATIVE,
        /** A faster {@link Kernels replacement} (some outputs may be views of inputs). */
        KERNEL,
        /** Computed once at compilation: every input is constant, or only input shapes matter. */
        STATIC,
        /** The output is a view of the input (a reshape of a contiguous buffer): nothing to compute. */
        VIEW
    }

    /** Ops whose result depends only on their inputs' shapes and types, which a program fixes. */
    private static final java.util.Set<String> SHAPE_ONLY = java.util.Set.of("shape_of", "shapes_of", "size",
            "size_at", "rank", "zeroslike", "ones_as");

    /**
     * @param position   the step's place in the schedule, for liveness
     * @param in         slots of the context's inputs (for a legacy op: x and, if it has one, y)
     * @param out        slots of the outputs
     * @param outTypes   the output variables' data types (SameDiff's shape functions do not always know them)
     * @param scalarSlot for a legacy scalar op whose scalar is an input array, its slot; else -1
     * @param scratch    the program's temporaries, for a {@link Kernels replacement kernel}
     * @param listeners  the SameDiff listeners of the current run, told of every execution
     * @param plan       the compiler's slots: which inputs are constant or planned, where outputs may be views
     */
    OpStep(SameDiffOp sdOp, int position, int[] in, int[] out, DataType[] outTypes, int scalarSlot, Scratch scratch,
           Listeners listeners, SlotPlan plan) {
        DifferentialFunction op = sdOp.getOp();
        this.position = position;
        this.plan = plan;
        this.sdOp = sdOp;
        this.scratch = scratch;
        this.listeners = listeners;
        this.op = op;
        this.custom = op instanceof CustomOp;
        this.in = in;
        this.out = out;
        this.outTypes = outTypes;
        this.scalarSlot = scalarSlot;
        this.boundIn = new INDArray[in.length];
        this.boundOut = new INDArray[out.length];
        this.oc = Nd4j.getExecutioner().buildContext();
        if (op instanceof DynamicCustomOp c) {
            oc.setArgs(null, c.iArgs(), c.dArgs(), c.tArgs(), c.bArgs());
        }
        this.hash = custom ? ((CustomOp) op).opHash() : 0;
    }

    String name() {
        return op.getOwnName() + " (" + op.opName() + ")";
    }

    int[] inputs() {
        return in;
    }

    int[] outputs() {
        return out;
    }

    int scalarSlot() {
        return scalarSlot;
    }

    @Override
    public void run(INDArray[] slots) {
        if (mode == Mode.STATIC || mode == Mode.VIEW) {
            // nothing to compute, but listeners hear of every op SameDiff would have executed
            if (listeners.active()) {
                INDArray[] outs = new INDArray[out.length];
                for (int i = 0; i < out.length; i++) {
                    outs[i] = slots[out[i]];
                }
                listeners.opExecuted(sdOp, oc, outs);
            }
            return;
        }
        if (bindInputs(slots) && kernel != null) {
            kernel.bind(boundIn, boundOut, scratch);
        }
        exec(slots);
    }

    @Override
    public void trace(INDArray[] slots) {
        if (mode == Mode.STATIC) {
            return;
        }
        bindInputs(slots);
        if (scalarSlot >= 0) {
            ((ScalarOp) op).setScalar(slots[scalarSlot]);
        }
        List<LongShapeDescriptor> shapes = custom ? ((CustomOp) op).calculateOutputShape(oc)
                : ((BaseOp) op).calculateOutputShape(oc);
        if (shapes == null || shapes.size() != out.length) {
            throw new UnsupportedGraphException("op " + name() + ": SameDiff gives " + (shapes == null ? "no"
                    : shapes.size()) + " output shapes for " + out.length + " outputs");
        }
        if (mode == null && viewable(slots, shapes)) {
            mode = Mode.VIEW;
            viewShapes = new long[][] {shapes.get(0).getShape()};
            plan.markView(out[0], in[0]);
        }
        if (mode == Mode.VIEW) {
            slots[out[0]] = viewOf(slots[in[0]], viewShapes[0]);
            return;
        }
        for (int i = 0; i < out.length; i++) {
            LongShapeDescriptor d = shapes.get(i);
            INDArray current = slots[out[i]];
            if (current == null) {
                slots[out[i]] = d.isEmpty() ? Nd4j.create(d.asDataType(outTypes[i]))
                        : plan.allocate(outTypes[i], d.getShape());
            } else if (!Arrays.equals(current.shape(), d.getShape())) {
                throw new UnsupportedGraphException("op " + name() + " inside a loop changes its output shape from "
                        + Arrays.toString(current.shape()) + " to " + Arrays.toString(d.getShape()));
            }
        }
        if (mode == null) {
            mode = decide(slots);
        } else if (mode == Mode.KERNEL) {
            // in a later loop iteration of the trace the aliased input may hold another array
            for (int i = 0; i < out.length; i++) {
                if (kernel.aliasOf(i) >= 0 && kernel.usesAlias(i)) {
                    slots[out[i]] = slots[in[kernel.aliasOf(i)]];
                }
            }
        }
        bindOutputs(slots);
        if (kernel != null) {
            kernel.bind(boundIn, boundOut, scratch);
        }
        exec(slots);
        plan.traced(position, slots);
    }

    /**
     * Chooses how to run, once the outputs exist: static if the result cannot change between runs,
     * else a replacement kernel if there is one (its outputs that merely copy an input become views
     * of that input), else the native kernel.
     */
    private Mode decide(INDArray[] slots) {
        boolean allConstant = true;
        for (int s : in) {
            allConstant &= plan.isConstant(s);
        }
        if (allConstant || SHAPE_ONLY.contains(op.opName())) {
            for (int s : out) {
                plan.markStatic(s);
            }
            return Mode.STATIC;
        }
        INDArray[] outs = new INDArray[out.length];
        for (int i = 0; i < out.length; i++) {
            outs[i] = slots[out[i]];
        }
        boolean[] fixed = new boolean[in.length];
        for (int i = 0; i < in.length; i++) {
            fixed[i] = plan.isPlanned(in[i]) || plan.isConstant(in[i]);
        }
        kernel = Kernels.choose(op, boundIn, outs, fixed);
        if (kernel == null) {
            return Mode.NATIVE;
        }
        for (int i = 0; i < out.length; i++) {
            int a = kernel.aliasOf(i);
            if (a >= 0 && plan.isPlanned(in[a])) {
                INDArray traced = slots[out[i]];
                slots[out[i]] = slots[in[a]];
                plan.markView(out[i], in[a]);
                if (traced.closeable()) {
                    traced.close();
                }
                kernel.useAlias(i);
            }
        }
        return Mode.KERNEL;
    }

    /**
     * Whether the output can be a view of input 0: a reshape of a planned, contiguous, row-major
     * buffer of the same type and length.
     */
    private boolean viewable(INDArray[] slots, List<LongShapeDescriptor> shapes) {
        if (!"reshape".equals(op.opName()) || out.length != 1 || !plan.isPlanned(in[0])) {
            return false;
        }
        INDArray src = slots[in[0]];
        LongShapeDescriptor d = shapes.get(0);
        long length = 1;
        for (long x : d.getShape()) {
            length *= x;
        }
        return !d.isEmpty() && src.dataType() == outTypes[0] && rowMajorContiguous(src) && src.length() == length
                && length > 0;
    }

    /**
     * Whether the array's elements are contiguous in row-major order. ND4J's own check
     * ({@code Shape.hasDefaultStridesForShape}) wrongly says no for shapes with a dimension of size 1.
     */
    static boolean rowMajorContiguous(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    private static INDArray viewOf(INDArray src, long[] shape) {
        INDArray v = src.reshape('c', shape);
        if (v.data().address() != src.data().address()) {
            throw new IllegalStateException("a reshape view copied its source");
        }
        return v;
    }

    @Override
    public void bind(INDArray[] slots) {
        if (mode == Mode.STATIC) {
            return;
        }
        if (mode == Mode.VIEW) {
            slots[out[0]] = viewOf(slots[in[0]], viewShapes[0]);
            return;
        }
        bindInputs(slots);
        if (mode == Mode.KERNEL) {
            for (int i = 0; i < out.length; i++) {
                int a = kernel.aliasOf(i);
                if (a >= 0 && kernel.usesAlias(i)) {
                    slots[out[i]] = slots[in[a]];
                }
            }
        }
        bindOutputs(slots);
        if (kernel != null) {
            kernel.bind(boundIn, boundOut, scratch);
        }
    }

    @Override
    public void close() {
        if (kernel != null) {
            kernel.close();
        }
        try {
            oc.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the op context of " + name(), e);
        }
    }

    /** Binds changed inputs; whether any changed. */
    private boolean bindInputs(INDArray[] slots) {
        boolean changed = false;
        for (int p = 0; p < in.length; p++) {
            INDArray a = slots[in[p]];
            if (a != boundIn[p]) {
                oc.setInputArray(p, a);
                boundIn[p] = a;
                changed = true;
            }
        }
        return changed;
    }

    private void bindOutputs(INDArray[] slots) {
        for (int p = 0; p < out.length; p++) {
            INDArray a = slots[out[p]];
            if (a != boundOut[p]) {
                oc.setOutputArray(p, a);
                boundOut[p] = a;
            }
        }
    }

    private void exec(INDArray[] slots) {
        long t0 = OpProfile.ON ? System.nanoTime() : 0;
        execOnce(slots);
        if (OpProfile.ON) {
            OpProfile.add(op.opName() + " " + java.util.Arrays.toString(slots[out[0]].shape()), System.nanoTime() - t0);
        }
        if (listeners.active()) {
            listeners.opExecuted(sdOp, oc, boundOut);
        }
    }

    private void execOnce(INDArray[] slots) {
        if (scalarSlot >= 0) {
            ((ScalarOp) op).setScalar(slots[scalarSlot]);
        }
        try {
            if (kernel != null) {
                kernel.exec();
            } else if (custom) {
                NativeCalls.exec(hash, oc);
            } else {
                Nd4j.exec((Op) op, oc);
            }
        } catch (RuntimeException e) {
            StringBuilder shapes = new StringBuilder();
            for (int i : in) {
                shapes.append(slots[i] == null ? "null" : java.util.Arrays.toString(slots[i].shape())).append(' ');
            }
            shapes.append("->");
            for (int o : out) {
                shapes.append(' ').append(slots[o] == null ? "null" : java.util.Arrays.toString(slots[o].shape()));
            }
            throw new IllegalStateException("op " + name() + " (" + shapes + ") failed: " + e.getMessage(), e);
        }
    }
}
