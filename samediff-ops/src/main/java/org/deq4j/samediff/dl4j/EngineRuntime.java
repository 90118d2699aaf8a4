package org.deq4j.samediff.dl4j;

import java.util.Map;
import java.util.Optional;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.FixedPoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.LockedDropoutCell;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.CellNormalisation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DEQ runtime on the core engine: forward is {@code Deq.solve(cell, x)} and backward is
 * {@code DeqSolution.backward(epsilon)}, with the cell a {@link GraphCellAdapter SameDiff cell} over
 * the parameter views. Runs every solver and adjoint. A training solve keeps its {@link DeqSolution}
 * (with whatever the adjoint keeps: nothing for implicit and phantom, the initial state for
 * reversible, the trajectory for unrolled) until the backward pass; an inference solve is
 * {@link Deq#infer}: the same solver and stopping rule, no adjoint, nothing kept.
 */
final class EngineRuntime extends DeqRuntime {
    private final Deq deq;
    private DeqSolution solution;
    private INDArray solvedInput;

    EngineRuntime(String name, CellNormalisation normalisation, DeqConfig config, VariationalDropout dropout,
                  Map<String, INDArray> paramTable, DataType dataType) {
        super(name, normalisation, config, dropout, paramTable, dataType);
        this.deq = Deq.of(config);
    }

    @Override
    boolean holdsSolution() {
        return solution != null;
    }

    @Override
    void clearSolution() {
        solution = null;
        solvedInput = null;
    }

    @Override
    INDArray solve(INDArray x, boolean training, Optional<INDArray> mask) {
        if (!training) {
            Cell c = cellFor(x);
            State in = State.of(x);
            FixedPoint p = takeStart().map(z0 -> deq.infer(c, in, State.of(z0))).orElseGet(() -> deq.infer(c, in));
            solved(p.stats());
            return p.z().part(0);
        }
        // The kept solution reads x in the backward pass, after DL4J may have reused x's workspace.
        solution = solve(x.dup(), mask);
        solvedInput = x;
        return solution.z().part(0);
    }

    @Override
    INDArray differentiate(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable, Optional<INDArray> mask) {
        DeqSolution s = solution != null && solvedInput == x ? solution : solve(x.dup(), mask);
        DeqGradients g = s.backward(State.of(epsilon));
        differentiated(g.stats());
        storeGradients(g.gParams(), gradTable);
        return g.gx().part(0);
    }

    /** A training solve; under locked dropout the kept solution holds the masked cell for its backward. */
    private DeqSolution solve(INDArray x, Optional<INDArray> mask) {
        Cell cell = cellFor(x);
        if (mask.isPresent()) {
            cell = new LockedDropoutCell(cell, State.of(mask.get()));
        }
        DeqSolution s = deq.solve(cell, State.of(x));
        solved(s.stats());
        return s;
    }
}
