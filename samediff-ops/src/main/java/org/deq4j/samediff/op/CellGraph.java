package org.deq4j.samediff.op;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.deq4j.core.DeqException;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.Enter;

/**
 * Builds one cell evaluation {@code f(z, x; θ)} inside a SameDiff graph (usually a while-loop body)
 * with casts at the cell boundary, and its vector-Jacobian product from the ops' own {@code doDiff}.
 * SameDiff cannot differentiate through control flow in M2.1, so the reverse loop differentiates the
 * cell inline: the ops that one evaluation created are walked in reverse and each op's
 * {@code doDiff} is called with the gradients of its outputs, summing gradients per input variable.
 *
 * <p>Locked dropout. With a mask, the cell is evaluated at {@code m ⊙ z} (in the compute type): the
 * mask is an input of the loop like x and θ, so every evaluation of one op execution, forward and
 * reverse, uses the same one. It is a constant of the step, so its own gradient is never built: the
 * VJP of that multiplication is written by hand ({@code g ⊙ m}) instead of by {@code doDiff}, which
 * would also reduce {@code g ⊙ z} to the mask's shape.
 */
final class CellGraph {

    /**
     * The inputs a cell evaluation reads: injection, parameters and the locked-dropout mask if any, all
     * already in the compute type.
     */
    record Inputs(SDVariable x, List<SDVariable> params, Optional<SDVariable> mask) {
    }

    /**
     * One evaluation: its output (state type) and the ops that produced it, in creation order.
     *
     * @param z       the state the cell was evaluated at (state type)
     * @param out     f(z), cast to the state type
     * @param masking the op multiplying the mask into the state, if there is a mask
     */
    record Evaluation(SDVariable z, SDVariable out, List<DifferentialFunction> ops,
                      Optional<DifferentialFunction> masking) {
    }

    /** A VJP: gradients for z (state type), x and each parameter (compute type). */
    record Vjp(SDVariable gz, SDVariable gx, List<SDVariable> gParams) {
    }

    private final RevDeqSpec spec;

    CellGraph(RevDeqSpec spec) {
        this.spec = spec;
    }

    /** Evaluates the cell at {@code z}, recording the ops it creates. */
    Evaluation evaluate(SameDiff sd, SDVariable z, Inputs in) {
        Set<String> before = new LinkedHashSet<>(sd.getOps().keySet());
        SDVariable zc = spec.computeType() == spec.stateType() ? z : z.castTo(spec.computeType());
        Optional<SDVariable> masked = in.mask().map(zc::mul);
        SDVariable out = spec.cell().apply(sd, masked.orElse(zc), in.x(), in.params());
        if (out.dataType() != spec.stateType()) {
            out = out.castTo(spec.stateType());
        }
        List<DifferentialFunction> created = new ArrayList<>();
        for (Map.Entry<String, org.nd4j.autodiff.samediff.internal.SameDiffOp> e : sd.getOps().entrySet()) {
            if (!before.contains(e.getKey())) {
                created.add(e.getValue().getOp());
            }
        }
        return new Evaluation(z, out, created, masked.map(SDVariable::getCreator));
    }

    /**
     * The VJP of an evaluation applied to {@code g} (shaped like f(z), state type). Inputs the cell
     * does not depend on get zero gradients.
     *
     * @throws DeqException if an op of the cell cannot be differentiated
     */
    Vjp vjp(SameDiff sd, Evaluation ev, SDVariable g, Inputs in) {
        Map<String, SDVariable> grads = new HashMap<>();
        grads.put(ev.out().name(), g);
        List<DifferentialFunction> ops = ev.ops();
        for (int i = ops.size() - 1; i >= 0; i--) {
            DifferentialFunction op = ops.get(i);
            if (op instanceof Enter) {
                continue; // constants routed into the loop frame: no gradient flows through them
            }
            SDVariable[] outs = op.outputVariables();
            List<SDVariable> gOuts = new ArrayList<>(outs.length);
            boolean any = false;
            for (SDVariable o : outs) {
                SDVariable go = grads.get(o.name());
                any |= go != null;
                gOuts.add(go);
            }
            if (!any) {
                continue;
            }
            if (ev.masking().isPresent() && ev.masking().get() == op) {
                SDVariable masked = op.args()[0];
                grads.merge(masked.name(), gOuts.get(0).mul(in.mask().orElseThrow()), SDVariable::add);
                continue;
            }
            for (int k = 0; k < outs.length; k++) {
                if (gOuts.get(k) == null && outs[k].dataType().isFPType()) {
                    gOuts.set(k, sd.zerosLike(outs[k]));
                }
            }
            List<SDVariable> gIns;
            try {
                gIns = op.doDiff(gOuts);
            } catch (RuntimeException e) {
                throw new DeqException("cannot differentiate op '" + op.getOwnName() + "' (" + op.opName()
                        + ") of cell '" + spec.cell().type() + "' inside the RevDEQ backward loop: " + e.getMessage(), e);
            }
            SDVariable[] args = op.args();
            for (int k = 0; k < args.length && k < gIns.size(); k++) {
                SDVariable gi = gIns.get(k);
                if (gi != null && args[k].dataType().isFPType()) {
                    grads.merge(args[k].name(), gi, SDVariable::add);
                }
            }
        }
        List<SDVariable> gParams = new ArrayList<>(in.params().size());
        for (SDVariable p : in.params()) {
            gParams.add(gradientOrZero(sd, grads, p));
        }
        SDVariable gz = gradientOrZero(sd, grads, ev.z());
        return new Vjp(gz, gradientOrZero(sd, grads, in.x()), gParams);
    }

    private static SDVariable gradientOrZero(SameDiff sd, Map<String, SDVariable> grads, SDVariable v) {
        SDVariable g = grads.get(v.name());
        return g != null ? g : sd.zerosLike(v);
    }
}
