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
    private Kernel kernel;
    private boolean kernelChosen;

    /**
     * @param in         slots of the context's inputs (for a legacy op: x and, if it has one, y)
     * @param out        slots of the outputs
     * @param outTypes   the output variables' data types (SameDiff's shape functions do not always know them)
     * @param scalarSlot for a legacy scalar op whose scalar is an input array, its slot; else -1
     * @param scratch    the program's temporaries, for a {@link Kernels replacement kernel}
     * @param listeners  the SameDiff listeners of the current run, told of every execution
     */
    OpStep(SameDiffOp sdOp, int[] in, int[] out, DataType[] outTypes, int scalarSlot, Scratch scratch,
           Listeners listeners) {
        DifferentialFunction op = sdOp.getOp();
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
        if (bindInputs(slots) && kernel != null) {
            kernel.bind(boundIn, boundOut, scratch);
        }
        exec(slots);
    }

    @Override
    public void trace(INDArray[] slots) {
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
        for (int i = 0; i < out.length; i++) {
            LongShapeDescriptor d = shapes.get(i);
            INDArray current = slots[out[i]];
            if (current == null) {
                slots[out[i]] = d.isEmpty() ? Nd4j.create(d.asDataType(outTypes[i]))
                        : Nd4j.createUninitializedDetached(outTypes[i], d.getShape());
            } else if (!Arrays.equals(current.shape(), d.getShape())) {
                throw new UnsupportedGraphException("op " + name() + " inside a loop changes its output shape from "
                        + Arrays.toString(current.shape()) + " to " + Arrays.toString(d.getShape()));
            }
        }
        bindOutputs(slots);
        if (!kernelChosen) {
            kernel = Kernels.choose(op, boundIn, boundOut);
            kernelChosen = true;
        }
        if (kernel != null) {
            kernel.bind(boundIn, boundOut, scratch);
        }
        exec(slots);
    }

    @Override
    public void bind(INDArray[] slots) {
        bindInputs(slots);
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

    static final java.util.Map<String, long[]> PROFILE = new java.util.TreeMap<>();
    static boolean profiling = Boolean.getBoolean("deq4j.profileOps");
    static {
        if (profiling) {
            Runtime.getRuntime().addShutdownHook(new Thread(GraphProgram::dumpProfile));
        }
    }

    private void exec(INDArray[] slots) {
        long t0 = profiling ? System.nanoTime() : 0;
        execOnce(slots);
        if (profiling) {
            String key = op.opName() + " " + java.util.Arrays.toString(slots[out[0]].shape());
            if (op.opName().startsWith("conv2d")) {
                StringBuilder sb = new StringBuilder(" align");
                for (INDArray a : boundIn) {
                    sb.append(' ').append(a.data().address() % 64).append(a.ordering()).append(a.isView() ? "v" : "");
                }
                key += sb;
            }
            long[] acc = PROFILE.computeIfAbsent(key, k -> new long[2]);
            acc[0] += System.nanoTime() - t0;
            acc[1]++;
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
                Nd4j.exec((CustomOp) op, oc);
            } else {
                Nd4j.exec((Op) op, oc);
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("op " + name() + " failed: " + e.getMessage(), e);
        }
    }
}
