package org.deq4j.core.reg;

import java.util.List;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The gradients of a scaled Jacobian penalty {@code scale·R} (see {@link JacobianPenalty#gradients}),
 * to be added to a DEQ layer's loss gradients.
 *
 * @param gx              {@code scale·∂R/∂x}, shaped and typed like the injection
 * @param gParams         {@code scale·∂R/∂θ}, one array per cell parameter, in
 *                        {@link org.deq4j.core.cell.Cell#parameters()} order, shaped and typed like them
 * @param cellEvaluations cell VJP evaluations spent on them
 */
public record PenaltyGradients(State gx, List<INDArray> gParams, int cellEvaluations) {
    public PenaltyGradients {
        gParams = List.copyOf(gParams);
    }
}
