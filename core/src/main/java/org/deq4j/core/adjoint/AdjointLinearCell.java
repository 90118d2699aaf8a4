package org.deq4j.core.adjoint;

import java.util.List;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The implicit adjoint's backward equation as a cell, {@code h(g) = J_f(z*)ᵀ·g + dL/dz*}, so that
 * the forward solvers (fixed-point, Anderson, Broyden) can solve it. Only its value is used.
 */
final class AdjointLinearCell implements Cell {
    private final Cell cell;
    private final State zStar;
    private final State x;
    private final State gOut;

    AdjointLinearCell(Cell cell, State zStar, State x, State gOut) {
        this.cell = cell;
        this.zStar = zStar;
        this.x = x;
        this.gOut = gOut;
    }

    @Override
    public List<INDArray> parameters() {
        return List.of();
    }

    @Override
    public State initialState(State ignored, DataType type) {
        return gOut.zerosLike();
    }

    @Override
    public State apply(State g, State ignored) {
        return cell.valueAndVjp(zStar, x, g).gz().addScaledInPlace(1.0, gOut);
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State g) {
        throw new UnsupportedOperationException("the implicit adjoint's backward equation is linear and solved"
                + " by a forward solver; it has no VJP of its own");
    }
}
