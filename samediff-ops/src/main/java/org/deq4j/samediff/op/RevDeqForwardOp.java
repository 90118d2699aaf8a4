package org.deq4j.samediff.op;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.nd4j.autodiff.samediff.NameScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The RevDEQ forward op: inputs (x, θ..., and with locked dropout the mask m), outputs (z_N, y_N, steps,
 * residual). Its sub-graph runs the
 * reversible solve as one SameDiff while loop, from y = z = 0:
 * <pre>
 *   y ← (1-β)·y + β·f(z);   z ← (1-β)·z + β·f(y);   f(z) kept for the next step and the residual
 * </pre>
 * Each sample stops (and is frozen) once {@code ‖z - f(z)‖ / (1e-5 + ‖f(z)‖) <= tol}; the loop ends
 * when every sample has stopped or after {@code maxSteps} steps. {@code steps} holds each sample's
 * step count (in the state type), which the backward op needs together with y_N and z_N;
 * {@code residual} each sample's relative residual at z_N, for the solver statistics.
 *
 * <p>With locked dropout every cell evaluation is {@code f(m ⊙ z)} with the one mask input (see
 * {@link CellGraph}); the mask is broadcast against the state in the compute type.
 *
 * <p>{@link #doDiff} builds a {@link RevDeqBackwardOp}: the reverse loop that rebuilds the
 * trajectory instead of storing it.
 */
public final class RevDeqForwardOp extends RevDeqSubGraphOp {
    /** The op name under which FlatBuffers finds this class. */
    public static final String OP_NAME = "deq4j_revdeq_forward";

    /** For FlatBuffers deserialisation only. */
    public RevDeqForwardOp() {
    }

    RevDeqForwardOp(SameDiff sd, SDVariable x, List<SDVariable> params, Optional<SDVariable> mask, RevDeqSpec spec) {
        super(sd, inputs(x, params, mask), spec);
    }

    private static SDVariable[] inputs(SDVariable x, List<SDVariable> params, Optional<SDVariable> mask) {
        SDVariable[] in = new SDVariable[1 + params.size() + (mask.isPresent() ? 1 : 0)];
        in[0] = x;
        for (int i = 0; i < params.size(); i++) {
            in[i + 1] = params.get(i);
        }
        mask.ifPresent(m -> in[in.length - 1] = m);
        return in;
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    @Override
    int outputCount() {
        return 4;
    }

    @Override
    List<DataType> outputTypes(List<DataType> inputTypes) {
        return List.of(spec.stateType(), spec.stateType(), spec.stateType(), spec.stateType());
    }

    @Override
    SameDiff buildSubGraph(String[] inputNames, DataType[] inputTypes, String[] outputNames) {
        SameDiff sub = SameDiff.create();
        SDVariable x = sub.placeHolder(inputNames[0], inputTypes[0], (long[]) null);
        int nParams = spec.cell().parameters().size();
        List<SDVariable> params = new ArrayList<>();
        for (int i = 1; i <= nParams; i++) {
            params.add(sub.placeHolder(inputNames[i], inputTypes[i], (long[]) null));
        }
        Optional<SDVariable> mask = spec.lockedDropout()
                ? Optional.of(sub.placeHolder(inputNames[1 + nParams], inputTypes[1 + nParams], (long[]) null))
                : Optional.empty();
        SDVariable[] result;
        try (NameScope ignored = sub.withNameScope(INTERNAL_SCOPE)) {
            result = solve(sub, x, params, mask);
        }
        for (int i = 0; i < outputNames.length; i++) {
            sub.identity(outputNames[i], result[i]);
        }
        return sub;
    }

    /** Builds the solve; returns (z_N, y_N, steps, residual). */
    private SDVariable[] solve(SameDiff sd, SDVariable x, List<SDVariable> params, Optional<SDVariable> mask) {
        CellGraph cell = new CellGraph(spec);
        DataType st = spec.stateType();
        double beta = spec.beta();
        int nParams = params.size();
        SDVariable xc = toCompute(x);
        List<SDVariable> pc = new ArrayList<>();
        for (SDVariable p : params) {
            pc.add(toCompute(p));
        }
        // z0 = 0 with the batch size of x
        long[] rest = Arrays.copyOfRange(spec.stateShape(), 1, spec.stateRank());
        SDVariable batch = sd.sizeAt(xc, 0).reshape(1).castTo(DataType.LONG);
        SDVariable shape = rest.length == 0 ? batch
                : sd.concat(0, batch, sd.constant(Nd4j.createFromArray(rest)));
        SDVariable z0 = sd.fill(shape, st, 0.0);
        Optional<SDVariable> mc = mask.map(this::toCompute);
        SDVariable fz0 = cell.evaluate(sd, z0, new CellGraph.Inputs(xc, pc, mc)).out();
        SDVariable mask0 = residual(z0, fz0).gt(spec.tol()).castTo(st);
        SDVariable stepCounts0 = sd.zerosLike(mask0);
        SDVariable step0 = sd.constant(Nd4j.scalar(st, 0.0));

        // loop variables: step, y, z, f(z), active mask, per-sample steps, x, θ..., [dropout mask]
        SDVariable[] init = new SDVariable[7 + nParams + (mc.isPresent() ? 1 : 0)];
        init[0] = step0;
        init[1] = z0;
        init[2] = z0;
        init[3] = fz0;
        init[4] = mask0;
        init[5] = stepCounts0;
        init[6] = xc;
        for (int i = 0; i < nParams; i++) {
            init[7 + i] = pc.get(i);
        }
        mc.ifPresent(m -> init[7 + nParams] = m);
        int maxSteps = spec.maxSteps();
        long[] maskShape = spec.maskShape();
        SDVariable[] out = sd.whileLoop(init,
                (s, v) -> v[0].rsub((double) maxSteps).mul(v[4].sum()).gt(0.0),
                (s, v) -> {
                    CellGraph.Inputs in = new CellGraph.Inputs(v[6], List.of(v).subList(7, 7 + nParams),
                            mc.map(m -> v[7 + nParams]));
                    SDVariable active = v[4];
                    SDVariable m = active.reshape(maskShape);
                    ReversibleStepGraph.Freeze freeze = ReversibleStepGraph.Freeze.of(m);
                    SDVariable y = freeze.select(ReversibleStepGraph.relax(v[1], v[3], beta), v[1]);
                    SDVariable fy = cell.evaluate(s, y, in).out();
                    SDVariable z = freeze.select(ReversibleStepGraph.relax(v[2], fy, beta), v[2]);
                    SDVariable fz = cell.evaluate(s, z, in).out();
                    SDVariable stillActive = residual(z, fz).gt(spec.tol()).castTo(st).mul(active);
                    SDVariable[] next = v.clone();
                    next[0] = v[0].add(1.0);
                    next[1] = y;
                    next[2] = z;
                    next[3] = fz;
                    next[4] = stillActive;
                    next[5] = v[5].add(active);
                    return next;
                });
        // a frozen sample's z and f(z) stay as they were when it stopped
        return new SDVariable[] {out[2], out[1], out[5], residual(out[2], out[3])};
    }

    /**
     * {@code v} passed through a native op. M2.1's training session reads op results as plain
     * tensors, which an {@code Invoke} op does not produce (its results are "values"): a gradient or
     * loss read straight from one is null there (see docs/samediff-limitations.md).
     */
    static SDVariable asTensor(SDVariable v) {
        return v.mul(1.0);
    }

    /** Per-sample relative residual ‖z - f(z)‖ / (1e-5 + ‖f(z)‖), shape (batch). */
    private SDVariable residual(SDVariable z, SDVariable fz) {
        int[] dims = spec.sampleDims();
        return z.sub(fz).norm2(dims).div(fz.norm2(dims).add(1e-5));
    }

    private SDVariable toCompute(SDVariable v) {
        return v.dataType() == spec.computeType() ? v : v.castTo(spec.computeType());
    }

    /**
     * Gradients for (x, θ...) given those of (z_N, y_N, steps, residual): a {@link RevDeqBackwardOp}.
     * The gradient of y_N seeds the reverse loop's y cotangent (zero when y_N is unused); steps and
     * the residual (statistics) have none.
     */
    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable[] args = args();
        SDVariable[] outs = outputVariables();
        SDVariable gz = grads.get(0) != null ? grads.get(0) : sameDiff.zerosLike(outs[0]);
        SDVariable gy = grads.get(1) != null ? grads.get(1) : sameDiff.zerosLike(outs[1]);
        // the mask, if any, is no differentiable input: it goes last and gets no gradient
        int nDiff = 1 + spec.cell().parameters().size();
        SDVariable[] in = new SDVariable[args.length + 5];
        System.arraycopy(args, 0, in, 0, nDiff);
        in[nDiff] = outs[0];
        in[nDiff + 1] = outs[1];
        in[nDiff + 2] = outs[2];
        in[nDiff + 3] = gz;
        in[nDiff + 4] = gy;
        if (spec.lockedDropout()) {
            in[nDiff + 5] = args[nDiff];
        }
        SDVariable[] g = new RevDeqBackwardOp(sameDiff, in, spec).outputVariables();
        List<SDVariable> out = new ArrayList<>(nDiff);
        for (int i = 0; i < nDiff; i++) {
            out.add(asTensor(g[i]));
        }
        return out;
    }
}
