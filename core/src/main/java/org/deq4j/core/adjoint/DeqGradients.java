package org.deq4j.core.adjoint;

import java.util.List;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradients from a DEQ backward pass.
 *
 * @param gx      dL/dx, shaped like the injection
 * @param gParams dL/dθ, one array per cell parameter in {@link org.deq4j.core.cell.Cell#parameters()} order
 * @param stats   what the backward pass cost and measured
 */
public record DeqGradients(State gx, List<INDArray> gParams, BackwardStats stats) {
    public DeqGradients {
        gParams = List.copyOf(gParams);
    }
}
