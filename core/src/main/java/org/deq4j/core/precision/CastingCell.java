package org.deq4j.core.precision;

import java.util.List;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs a cell in the policy's compute type for a solver that keeps its state in the state type.
 * The injection is the same array for a whole solve, so its cast is kept and reused while the
 * caller passes the same {@code x}.
 */
final class CastingCell implements Cell {
    private final Cell inner;
    private final PrecisionPolicy policy;
    private State lastX;
    private State lastXCast;

    CastingCell(Cell inner, PrecisionPolicy policy) {
        this.inner = inner;
        this.policy = policy;
    }

    @Override
    public List<INDArray> parameters() {
        return inner.parameters();
    }

    @Override
    public State initialState(State x, DataType type) {
        return inner.initialState(x, type);
    }

    @Override
    public State apply(State z, State x) {
        return inner.applyAs(z.castTo(policy.computeType()), cast(x), policy.stateType());
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        DataType c = policy.computeType();
        return inner.valueAndVjpAs(z.castTo(c), cast(x), gOut.castTo(c), policy.stateType(), x.dataType());
    }

    private State cast(State x) {
        if (x != lastX) {
            lastX = x;
            // Cached across loop iterations, so it must not live in an iteration's workspace.
            lastXCast = Workspaces.detached(() -> x.castTo(policy.computeType()));
        }
        return lastXCast;
    }
}
