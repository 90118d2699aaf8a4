package org.deq4j.samediff.dl4j;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.FixedPoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
    private SameDiffCell cell;
    private long[] cellInjectionShape;
    private DeqSolution solution;
    private INDArray solvedInput;

    EngineRuntime(String name, GraphCell graphCell, DeqConfig config, Map<String, INDArray> paramTable,
                  DataType dataType) {
        super(name, graphCell, config, paramTable, dataType);
        this.deq = Deq.of(config);
    }

    @Override
    boolean holdsSolution() {
        return solution != null;
    }

    @Override
    void clear() {
        solution = null;
        solvedInput = null;
    }

    @Override
    INDArray solve(INDArray x, boolean training) {
        if (!training) {
            Cell c = cellFor(x);
            State in = State.of(x);
            FixedPoint p = takeStart().map(z0 -> deq.infer(c, in, State.of(z0))).orElseGet(() -> deq.infer(c, in));
            solved(p.stats());
            return p.z().part(0);
        }
        // The kept solution reads x in the backward pass, after DL4J may have reused x's workspace.
        solution = solve(x.dup());
        solvedInput = x;
        return solution.z().part(0);
    }

    @Override
    INDArray differentiate(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable) {
        DeqSolution s = solution != null && solvedInput == x ? solution : solve(x.dup());
        DeqGradients g = s.backward(State.of(epsilon));
        differentiated(g.stats());
        List<ParamSpec> specs = graphCell.parameters();
        for (int i = 0; i < specs.size(); i++) {
            gradTable.get(DeqSettings.key(specs.get(i).name())).assign(g.gParams().get(i));
        }
        return g.gx().part(0);
    }

    private DeqSolution solve(INDArray x) {
        DeqSolution s = deq.solve(cellFor(x), State.of(x));
        solved(s.stats());
        return s;
    }

    @Override
    Cell coreCell(INDArray x) {
        return cellFor(x);
    }

    /**
     * The cell for x's per-sample shape, built (and checked once, value and VJP, on a batch of one)
     * when that shape is new.
     */
    private Cell cellFor(INDArray x) {
        long[] sample = Arrays.copyOfRange(x.shape(), 1, x.rank());
        if (cell == null || !Arrays.equals(sample, cellInjectionShape)) {
            SameDiffCell c = GraphCellAdapter.toCell(graphCell, sample, parameterViews());
            long[] probeShape = x.shape().clone();
            probeShape[0] = 1;
            State probe = State.of(Nd4j.zeros(dataType, probeShape));
            try {
                // A VJP rather than apply: it checks that both the value and the gradient graph take the shape.
                State z0 = c.initialState(probe, dataType);
                c.valueAndVjp(z0, probe, z0);
            } catch (RuntimeException e) {
                throw shapeError(x, e);
            }
            cell = c;
            cellInjectionShape = sample;
        }
        return cell;
    }
}
