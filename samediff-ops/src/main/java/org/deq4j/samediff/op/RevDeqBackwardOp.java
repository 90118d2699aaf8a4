package org.deq4j.samediff.op;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.nd4j.autodiff.samediff.NameScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The RevDEQ backward op: inputs (x, θ..., z_N, y_N, steps, dL/dz_N, dL/dy_N, and with locked dropout the
 * forward's mask m, so that the rebuilt trajectory is the forward's), outputs
 * (dL/dx, dL/dθ..., z_0, y_0), the last two the rebuilt initial iterates, whose distance from the
 * known start (zero) is the reconstruction's drift. Its sub-graph is one SameDiff while loop running the exact reverse of the
 * forward solve, rebuilding each earlier iterate by inversion instead of reading a stored one:
 * <pre>
 *   z0 = (z1 - β·f(y1)) / (1-β);                   gy1 += β·J_f(y1)ᵀ gz1
 *   y0 = (y1 - β·f(z0)) / (1-β);                   gz0 = (1-β)·gz1 + β·J_f(z0)ᵀ gy1;  gy0 = (1-β)·gy1
 *   gθ, gx += β·(∂f/∂θ, ∂f/∂x at y1 applied to gz1) + β·(the same at z0 applied to gy1)
 * </pre>
 * Reverse step n only moves the samples whose forward solve took at least n steps. f(y1) and f(z0)
 * are each evaluated once per step and serve both the inversion and the VJP, which is built inline
 * from the cell ops' own {@code doDiff} (see {@link CellGraph}). Memory is constant in the number of
 * steps.
 */
public final class RevDeqBackwardOp extends RevDeqSubGraphOp {
    /** The op name under which FlatBuffers finds this class. */
    public static final String OP_NAME = "deq4j_revdeq_backward";

    /** For FlatBuffers deserialisation only. */
    public RevDeqBackwardOp() {
    }

    RevDeqBackwardOp(SameDiff sd, SDVariable[] inputs, RevDeqSpec spec) {
        super(sd, inputs, spec);
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    @Override
    int outputCount() {
        return 3 + spec.cell().parameters().size();
    }

    @Override
    List<DataType> outputTypes(List<DataType> inputTypes) {
        List<DataType> types = new ArrayList<>(inputTypes.subList(0, outputCount() - 2));
        types.add(spec.stateType());
        types.add(spec.stateType());
        return types;
    }

    @Override
    SameDiff buildSubGraph(String[] inputNames, DataType[] inputTypes, String[] outputNames) {
        SameDiff sub = SameDiff.create();
        SDVariable[] in = new SDVariable[inputNames.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = sub.placeHolder(inputNames[i], inputTypes[i], (long[]) null);
        }
        SDVariable[] result;
        try (NameScope ignored = sub.withNameScope(INTERNAL_SCOPE)) {
            result = reverse(sub, in);
        }
        for (int i = 0; i < outputNames.length; i++) {
            sub.identity(outputNames[i], result[i]);
        }
        return sub;
    }

    /** Builds the reverse loop; returns (gx, gθ...) in the input types, then the rebuilt z_0, y_0. */
    private SDVariable[] reverse(SameDiff sd, SDVariable[] in) {
        int nParams = outputCount() - 3;
        DataType st = spec.stateType();
        double beta = spec.beta();
        CellGraph cell = new CellGraph(spec);
        SDVariable x = in[0];
        SDVariable xc = toCompute(x);
        List<SDVariable> pc = new ArrayList<>();
        for (int i = 0; i < nParams; i++) {
            pc.add(toCompute(in[1 + i]));
        }
        int k = 1 + nParams;
        SDVariable zN = toState(in[k]);
        SDVariable yN = toState(in[k + 1]);
        SDVariable steps = toState(in[k + 2]);
        SDVariable gz = toState(in[k + 3]);
        SDVariable gy = toState(in[k + 4]);
        Optional<SDVariable> mask = spec.lockedDropout() ? Optional.of(toCompute(in[k + 5])) : Optional.empty();

        // loop variables: n, z, y, gz, gy, gx, gθ..., steps, x, θ..., [dropout mask]
        int accEnd = 6 + nParams;
        int maskIndex = accEnd + 2 + nParams;
        SDVariable[] init = new SDVariable[maskIndex + (mask.isPresent() ? 1 : 0)];
        init[0] = steps.max();
        init[1] = zN;
        init[2] = yN;
        init[3] = gz;
        init[4] = gy;
        init[5] = sd.zerosLike(xc);
        for (int i = 0; i < nParams; i++) {
            init[6 + i] = sd.zerosLike(pc.get(i));
        }
        init[accEnd] = steps;
        init[accEnd + 1] = xc;
        for (int i = 0; i < nParams; i++) {
            init[accEnd + 2 + i] = pc.get(i);
        }
        mask.ifPresent(m -> init[maskIndex] = m);
        long[] maskShape = spec.maskShape();
        SDVariable[] out = sd.whileLoop(init,
                (s, v) -> v[0].gt(0.0),
                (s, v) -> {
                    CellGraph.Inputs inputs = new CellGraph.Inputs(v[accEnd + 1],
                            List.of(v).subList(accEnd + 2, accEnd + 2 + nParams), mask.map(m -> v[maskIndex]));
                    SDVariable n = v[0];
                    SDVariable z1 = v[1];
                    SDVariable y1 = v[2];
                    SDVariable gz1 = v[3];
                    SDVariable gy1 = v[4];
                    SDVariable m = v[accEnd].gte(n).castTo(st).reshape(maskShape);
                    ReversibleStepGraph.Freeze freeze = ReversibleStepGraph.Freeze.of(m);
                    // z_n = (1-β) z_{n-1} + β f(y_n)
                    SDVariable gzm = gz1.mul(m);
                    CellGraph.Evaluation a = cell.evaluate(s, y1, inputs);
                    CellGraph.Vjp va = cell.vjp(s, a, gzm, inputs);
                    SDVariable gyA = gy1.add(va.gz().mul(beta));
                    SDVariable z0 = freeze.select(ReversibleStepGraph.unrelax(z1, a.out(), beta), z1);
                    // y_n = (1-β) y_{n-1} + β f(z_{n-1})
                    SDVariable gym = gyA.mul(m);
                    CellGraph.Evaluation b = cell.evaluate(s, z0, inputs);
                    CellGraph.Vjp vb = cell.vjp(s, b, gym, inputs);
                    SDVariable y0 = freeze.select(ReversibleStepGraph.unrelax(y1, b.out(), beta), y1);
                    SDVariable[] next = v.clone();
                    next[0] = n.sub(1.0);
                    next[1] = z0;
                    next[2] = y0;
                    next[3] = gz1.add(gzm.mul(-beta)).add(vb.gz().mul(beta));
                    next[4] = gyA.add(gym.mul(-beta));
                    next[5] = v[5].add(va.gx().add(vb.gx()).mul(beta));
                    for (int i = 0; i < nParams; i++) {
                        next[6 + i] = v[6 + i].add(va.gParams().get(i).add(vb.gParams().get(i)).mul(beta));
                    }
                    return next;
                });
        SDVariable[] grads = new SDVariable[3 + nParams];
        grads[0] = castTo(out[5], x.dataType());
        for (int i = 0; i < nParams; i++) {
            grads[1 + i] = castTo(out[6 + i], in[1 + i].dataType());
        }
        grads[1 + nParams] = out[1];
        grads[2 + nParams] = out[2];
        return grads;
    }

    private SDVariable toCompute(SDVariable v) {
        return castTo(v, spec.computeType());
    }

    private SDVariable toState(SDVariable v) {
        return castTo(v, spec.stateType());
    }

    private static SDVariable castTo(SDVariable v, DataType type) {
        return v.dataType() == type ? v : v.castTo(type);
    }
}
