package org.deq4j.core.cell;

import java.util.List;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One cell evaluation with its vector-Jacobian product.
 *
 * @param value   {@code f(z, x)}, shaped like {@code z}
 * @param gz      {@code gOutᵀ·∂f/∂z}, shaped like {@code z}
 * @param gx      {@code gOutᵀ·∂f/∂x}, shaped like {@code x}
 * @param gParams {@code gOutᵀ·∂f/∂θ}, one array per {@link Cell#parameters()} entry, same order and shapes
 */
public record CellVjp(State value, State gz, State gx, List<INDArray> gParams) {
    public CellVjp {
        gParams = List.copyOf(gParams);
    }
}
