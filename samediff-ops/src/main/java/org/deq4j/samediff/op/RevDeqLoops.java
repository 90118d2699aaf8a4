package org.deq4j.samediff.op;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.exec.GraphRunner;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two loops of a {@link RevDeq} layer, run on their own: the forward op's sub-graph (the
 * reversible solve's while loop) and the backward op's sub-graph (the reverse loop), exactly the
 * graphs the ops execute inside a SameDiff graph, each compiled by deq4j's planned executor. For a
 * runtime that keeps the end of a forward solve and differentiates it later, as DL4J layers do
 * between their forward and backward passes: the reverse loop then runs alone, without solving again.
 *
 * <p>Results are the executor's buffers: valid until the next call of the same method with the same
 * input shapes, freed by {@link #close()}; copy what must live longer. Not thread-safe.
 */
public final class RevDeqLoops implements AutoCloseable {
    private final int nParams;
    private final GraphRunner forward;
    private final GraphRunner reverse;
    /** dL/dy_N: zero, as y_N is no output of a layer; reused while y's shape stays the same. */
    private INDArray zeroGy;

    /**
     * The forward solve's results.
     *
     * @param z        z_N (state type)
     * @param y        y_N (state type)
     * @param steps    per-sample steps taken, shape (batch), in the state type
     * @param residual per-sample relative residual at z_N, shape (batch)
     */
    public record Solve(INDArray z, INDArray y, INDArray steps, INDArray residual) {
    }

    /**
     * The reverse loop's results.
     *
     * @param gx      dL/dx, in x's type
     * @param gParams dL/dθ, in the parameters' order and types
     * @param z0      the rebuilt z_0 (state type); the solve started from zero, so its largest magnitude
     *                is the reconstruction drift
     * @param y0      the rebuilt y_0, likewise
     */
    public record Reverse(INDArray gx, List<INDArray> gParams, INDArray z0, INDArray y0) {
    }

    /**
     * @param deq        the layer
     * @param xType      the injection's data type
     * @param paramTypes the parameters' data types, in the cell's order
     * @param gzType     the data type of dL/dz_N given to {@link #reverse}
     * @param xShape     the injection's shape; the batch dimension is ignored
     * @throws ShapeMismatchException if the cell cannot take that shape or the parameter count is wrong
     */
    public RevDeqLoops(RevDeq deq, DataType xType, List<DataType> paramTypes, DataType gzType, long[] xShape) {
        this.nParams = paramTypes.size();
        long[] in = xShape.clone();
        in[0] = -1;
        long[] stateShape = deq.cell().stateShape(in.clone());
        stateShape[0] = -1;
        DataType st = deq.stateType();
        // scratch graphs that only hold the two ops: their sub-graphs are what runs
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", xType, in);
        List<SDVariable> params = new ArrayList<>();
        for (int i = 0; i < nParams; i++) {
            params.add(sd.placeHolder("theta" + i, paramTypes.get(i), deq.cell().parameters().get(i).shape()));
        }
        RevDeq.Outputs o = deq.solve(sd, x, params);
        RevDeqForwardOp fwdOp = (RevDeqForwardOp) o.z().getCreator().arg().getCreator();
        RevDeq.Reverse r = deq.reverse(sd, x, params, sd.placeHolder("zN", st, stateShape),
                sd.placeHolder("yN", st, stateShape), sd.placeHolder("steps", st, -1),
                sd.placeHolder("gz", gzType, stateShape));
        RevDeqBackwardOp bwdOp = (RevDeqBackwardOp) r.gx().getCreator().arg().getCreator();
        this.forward = new GraphRunner(sd.getFunction(fwdOp.getFunctionName()), outputNames(4));
        this.reverse = new GraphRunner(sd.getFunction(bwdOp.getFunctionName()), outputNames(3 + nParams));
    }

    private static List<String> outputNames(int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add("out_" + i);
        }
        return names;
    }

    /** Runs the forward loop from z = y = 0. */
    public Solve solve(INDArray x, List<INDArray> params) {
        INDArray[] out = forward.run(inputs(x, params));
        return new Solve(out[0], out[1], out[2], out[3]);
    }

    /** Runs the reverse loop from the end of a {@link #solve} of the same x and θ, for dL/dz_N = gz. */
    public Reverse reverse(INDArray x, List<INDArray> params, INDArray z, INDArray y, INDArray steps, INDArray gz) {
        Map<String, INDArray> in = inputs(x, params);
        int k = 1 + nParams;
        in.put("in_" + k, z);
        in.put("in_" + (k + 1), y);
        in.put("in_" + (k + 2), steps);
        in.put("in_" + (k + 3), gz);
        if (zeroGy == null || !Arrays.equals(zeroGy.shape(), y.shape()) || zeroGy.dataType() != y.dataType()) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                zeroGy = Nd4j.zeros(y.dataType(), y.shape());
            }
        }
        in.put("in_" + (k + 4), zeroGy);
        INDArray[] out = reverse.run(in);
        return new Reverse(out[0], List.of(out).subList(1, k), out[k], out[k + 1]);
    }

    private Map<String, INDArray> inputs(INDArray x, List<INDArray> params) {
        if (params.size() != nParams) {
            throw new ShapeMismatchException("the cell takes " + nParams + " parameters, got " + params.size());
        }
        Map<String, INDArray> in = new HashMap<>();
        in.put("in_0", x);
        for (int i = 0; i < nParams; i++) {
            in.put("in_" + (1 + i), params.get(i));
        }
        return in;
    }

    /** Frees the compiled loops' buffers now. */
    @Override
    public void close() {
        forward.close();
        reverse.close();
    }
}
