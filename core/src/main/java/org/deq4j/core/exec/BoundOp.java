package org.deq4j.core.exec;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A native custom op with its own context, for {@link Kernel}s: arguments fixed at construction,
 * arrays re-bound only when they change, one native call per {@link #exec}.
 */
final class BoundOp {
    private final long hash;
    private final OpContext oc;
    private INDArray[] in = new INDArray[0];
    private INDArray[] out = new INDArray[0];

    private BoundOp(DynamicCustomOp op) {
        this.hash = op.opHash();
        this.oc = Nd4j.getExecutioner().buildContext();
        oc.setArgs(null, op.iArgs(), op.dArgs(), op.tArgs(), op.bArgs());
    }

    /** The op named {@code name} with integer, floating-point and boolean arguments. */
    static BoundOp of(String name, long[] iArgs, double[] tArgs, boolean[] bArgs) {
        DynamicCustomOp.DynamicCustomOpsBuilder b = DynamicCustomOp.builder(name);
        if (iArgs != null && iArgs.length > 0) {
            int[] ints = new int[iArgs.length];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = Math.toIntExact(iArgs[i]);
            }
            b.addIntegerArguments(ints);
        }
        if (tArgs != null && tArgs.length > 0) {
            b.addFloatingPointArguments(box(tArgs));
        }
        if (bArgs != null && bArgs.length > 0) {
            b.addBooleanArguments(bArgs);
        }
        return new BoundOp(b.build());
    }

    /** Binds inputs and outputs (only the changed ones reach native code). */
    BoundOp bind(INDArray[] inputs, INDArray... outputs) {
        if (in.length != inputs.length) {
            in = new INDArray[inputs.length];
        }
        for (int i = 0; i < inputs.length; i++) {
            if (in[i] != inputs[i]) {
                oc.setInputArray(i, inputs[i]);
                in[i] = inputs[i];
            }
        }
        if (out.length != outputs.length) {
            out = new INDArray[outputs.length];
        }
        for (int i = 0; i < outputs.length; i++) {
            if (out[i] != outputs[i]) {
                oc.setOutputArray(i, outputs[i]);
                out[i] = outputs[i];
            }
        }
        return this;
    }

    void exec() {
        NativeCalls.exec(hash, oc);
    }

    void close() {
        try {
            oc.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing an op context", e);
        }
    }

    private static Double[] box(double[] v) {
        Double[] b = new Double[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }
}
