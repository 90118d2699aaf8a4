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
 * <p>Each loop comes in two variants: without a dropout mask, and under locked dropout with the mask as
 * one more input (built on first use).
 *
 * <p>Results are the executor's buffers: valid until the next call of the same method with the same
 * input shapes, freed by {@link #close()}; copy what must live longer. Not thread-safe.
 */
public final class RevDeqLoops implements AutoCloseable {
    private final RevDeq deq;
    private final DataType xType;
    private final List<DataType> paramTypes;
    private final DataType gzType;
    private final long[] xShape;
    private final int nParams;
    private final Pair plain;
    /** The loops taking a locked-dropout mask, built on first use. */
    private Pair masked;
    /** dL/dy_N: zero, as y_N is no output of a layer; reused while y's shape stays the same. */
    private INDArray zeroGy;

    /** The forward and reverse loop of one variant (with or without a dropout mask). */
    private record Pair(GraphRunner forward, GraphRunner reverse) {
    }

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
        this.deq = deq;
        this.xType = xType;
        this.paramTypes = List.copyOf(paramTypes);
        this.gzType = gzType;
        this.xShape = xShape.clone();
        this.nParams = paramTypes.size();
        this.plain = build(false);
    }

    /** Builds one variant: scratch graphs that only hold the two ops, whose sub-graphs are what runs. */
    private Pair build(boolean withMask) {
        long[] in = xShape.clone();
        in[0] = -1;
        long[] stateShape = deq.cell().stateShape(in.clone());
        stateShape[0] = -1;
        DataType st = deq.stateType();
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", xType, in);
        List<SDVariable> params = new ArrayList<>();
        for (int i = 0; i < nParams; i++) {
            params.add(sd.placeHolder("theta" + i, paramTypes.get(i), deq.cell().parameters().get(i).shape()));
        }
        SDVariable mask = withMask
                ? sd.placeHolder("mask", deq.computeType(), deq.cell().dropoutMaskShape(stateShape.clone()))
                : null;
        RevDeq.Outputs o = withMask ? deq.solve(sd, x, params, mask) : deq.solve(sd, x, params);
        RevDeqForwardOp fwdOp = (RevDeqForwardOp) o.z().getCreator().arg().getCreator();
        SDVariable zN = sd.placeHolder("zN", st, stateShape);
        SDVariable yN = sd.placeHolder("yN", st, stateShape);
        SDVariable steps = sd.placeHolder("steps", st, -1);
        SDVariable gz = sd.placeHolder("gz", gzType, stateShape);
        RevDeq.Reverse r = withMask ? deq.reverse(sd, x, params, zN, yN, steps, gz, mask)
                : deq.reverse(sd, x, params, zN, yN, steps, gz);
        RevDeqBackwardOp bwdOp = (RevDeqBackwardOp) r.gx().getCreator().arg().getCreator();
        return new Pair(new GraphRunner(sd.getFunction(fwdOp.getFunctionName()), outputNames(4)),
                new GraphRunner(sd.getFunction(bwdOp.getFunctionName()), outputNames(3 + nParams)));
    }

    private Pair masked() {
        if (masked == null) {
            masked = build(true);
        }
        return masked;
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
        return solve(plain, inputs(x, params));
    }

    /**
     * Runs the forward loop from z = y = 0 under locked dropout: every cell evaluation sees
     * {@code mask ⊙ z}.
     *
     * @param mask broadcastable against the state, in the compute type (see
     *             {@link org.deq4j.samediff.cell.GraphCell#dropoutMaskShape})
     */
    public Solve solve(INDArray x, List<INDArray> params, INDArray mask) {
        Map<String, INDArray> in = inputs(x, params);
        in.put("in_" + (1 + nParams), mask);
        return solve(masked(), in);
    }

    private static Solve solve(Pair loops, Map<String, INDArray> in) {
        INDArray[] out = loops.forward().run(in);
        return new Solve(out[0], out[1], out[2], out[3]);
    }

    /** Runs the reverse loop from the end of a {@link #solve} of the same x and θ, for dL/dz_N = gz. */
    public Reverse reverse(INDArray x, List<INDArray> params, INDArray z, INDArray y, INDArray steps, INDArray gz) {
        return reverse(plain, reverseInputs(x, params, z, y, steps, gz));
    }

    /**
     * Runs the reverse loop of a {@link #solve(INDArray, List, INDArray) solve under locked dropout};
     * {@code mask} must be that solve's.
     */
    public Reverse reverse(INDArray x, List<INDArray> params, INDArray z, INDArray y, INDArray steps, INDArray gz,
                           INDArray mask) {
        Map<String, INDArray> in = reverseInputs(x, params, z, y, steps, gz);
        in.put("in_" + (nParams + 6), mask);
        return reverse(masked(), in);
    }

    private Map<String, INDArray> reverseInputs(INDArray x, List<INDArray> params, INDArray z, INDArray y,
                                                INDArray steps, INDArray gz) {
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
        return in;
    }

    private Reverse reverse(Pair loops, Map<String, INDArray> in) {
        INDArray[] out = loops.reverse().run(in);
        int k = 1 + nParams;
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
        for (Pair p : masked == null ? List.of(plain) : List.of(plain, masked)) {
            p.forward().close();
            p.reverse().close();
        }
    }
}
