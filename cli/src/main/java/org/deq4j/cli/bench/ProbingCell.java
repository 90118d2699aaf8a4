package org.deq4j.cli.bench;

import java.util.List;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A cell that samples reachable memory right before and right after every evaluation of the cell
 * it wraps (with the result still held), and otherwise behaves exactly like it. Every solver step
 * and every backward step evaluates the cell, so the samples follow the whole forward and backward
 * pass: what a DEQ keeps across steps (a stored trajectory, accumulators) is seen at every step.
 */
final class ProbingCell implements Cell {
    private final Cell cell;
    private final ReachableMemoryProbe probe;

    ProbingCell(Cell cell, ReachableMemoryProbe probe) {
        this.cell = cell;
        this.probe = probe;
    }

    @Override
    public List<INDArray> parameters() {
        return cell.parameters();
    }

    @Override
    public State apply(State z, State x) {
        probe.sample();
        State out = cell.apply(z, x);
        probe.sample();
        return out;
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        probe.sample();
        CellVjp out = cell.valueAndVjp(z, x, gOut);
        probe.sample();
        return out;
    }

    @Override
    public State initialState(State x, DataType type) {
        return cell.initialState(x, type);
    }
}
