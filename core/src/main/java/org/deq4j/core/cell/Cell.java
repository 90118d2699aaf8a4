package org.deq4j.core.cell;

import java.util.List;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The function {@code f(z, x; θ)} whose fixed point {@code z* = f(z*, x; θ)} a DEQ layer computes,
 * evaluated on a whole batch, together with its vector-Jacobian product.
 *
 * <p>Contract: {@code f} must be deterministic (the reversible adjoint evaluates it again in the
 * backward pass and relies on getting the same numbers), it must treat samples independently (no
 * batch statistics such as BatchNorm inside {@code f}), and its output must have the shapes of
 * {@code z}. Implementations: {@link FunctionalCell} (plain Java value and VJP), {@code SameDiffCell}
 * (a SameDiff sub-graph, VJP by SameDiff's autodiff), {@link TanhMlpCell} and {@link TupleTanhCell}
 * (reference cells used by the gradient checks).
 */
public interface Cell {

    /** The parameters θ, in a fixed order that {@link CellVjp#gParams()} follows. Live arrays. */
    List<INDArray> parameters();

    /** {@code f(z, x)} as a new state of {@code z}'s shapes. Must not modify {@code z} or {@code x}. */
    State apply(State z, State x);

    /**
     * {@code f(z, x)} and its vector-Jacobian product with {@code gOut}: {@code gOutᵀ·∂f/∂z},
     * {@code gOutᵀ·∂f/∂x} and {@code gOutᵀ·∂f/∂θ} for every parameter. Value and VJP come from one
     * evaluation so the reversible backward never evaluates {@code f} twice at the same point.
     */
    CellVjp valueAndVjp(State z, State x, State gOut);

    /**
     * {@code f(z, x)} as a new state of data type {@code type}: {@code apply(z, x).castTo(type)}. A
     * cell that computes into buffers of its own (such as {@code SameDiffCell}) overrides it to write
     * the converted copy directly, one pass over the state instead of two; the precision policy's
     * casting wrapper calls this.
     */
    default State applyAs(State z, State x, DataType type) {
        return apply(z, x).castTo(type);
    }

    /**
     * {@link #valueAndVjp} with the value and {@code gz} in {@code stateType} and {@code gx} in
     * {@code injectionType} (parameter gradients keep the parameters' type); see {@link #applyAs}.
     */
    default CellVjp valueAndVjpAs(State z, State x, State gOut, DataType stateType, DataType injectionType) {
        CellVjp r = valueAndVjp(z, x, gOut);
        return new CellVjp(r.value().castTo(stateType), r.gz().castTo(stateType), r.gx().castTo(injectionType),
                r.gParams());
    }

    /**
     * The VJP folded into running sums, for backward loops that add many VJPs: adds
     * {@code scale·gOutᵀ·∂f/∂x} to {@code gxSum} and {@code scale·gOutᵀ·∂f/∂θ} to {@code gParamSums}
     * in place and returns only the value and the state gradient. The default calls
     * {@link #valueAndVjp}; cells that can write their gradients straight into the sums (e.g. with
     * a GEMM whose beta is 1) override it to avoid allocating per-call parameter gradients.
     *
     * @param gxSum      running sum shaped like {@code x}, in {@code x}'s data type
     * @param gParamSums running sums, one per parameter, shaped and typed like the parameters
     */
    default StateVjp vjpInto(State z, State x, State gOut, double scale, State gxSum, List<INDArray> gParamSums) {
        CellVjp v = valueAndVjp(z, x, gOut);
        gxSum.addScaledInPlace(scale, v.gx());
        for (int i = 0; i < gParamSums.size(); i++) {
            org.deq4j.core.state.ArrayOps.axpy(scale, v.gParams().get(i), gParamSums.get(i));
        }
        return new StateVjp(v.value(), v.gz());
    }

    /**
     * The initial state {@code z0 = 0} for injection {@code x}, of the given data type. The default
     * takes the shapes of {@code x}; cells whose state differs in shape from the injection override it.
     */
    default State initialState(State x, DataType type) {
        return x.map(p -> org.nd4j.linalg.factory.Nd4j.zeros(type, p.shape()));
    }
}
