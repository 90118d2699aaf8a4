package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Regression: a conv cell whose first VJP runs inside a solver loop's workspace (as in every DEQ
 * backward pass) must give the same VJPs afterwards as a twin cell that never ran in one. Before the
 * fix, SameDiff's gradient function was built in that workspace and later VJPs were NaN.
 */
class ConvCellWorkspaceTest {

    private static Cell cell() {
        ConvResidualCell gc = ConvResidualCell.of(16, 1);
        Map<String, INDArray> params = new LinkedHashMap<>();
        List<INDArray> views = new ArrayList<>();
        for (ParamSpec s : gc.parameters()) {
            INDArray v = Nd4j.create(DataType.FLOAT, s.shape());
            params.put(DeqSettings.key(s.name()), v);
            views.add(v);
        }
        SeededParamInit.initialise(gc.parameters(), params, 3);
        return PrecisionPolicy.MIXED.wrap(GraphCellAdapter.toCell(gc, new long[] {16, 8, 8}, views));
    }

    @Test
    void vjpAfterFirstUseInsideWorkspaceMatchesFreshCell() {
        Cell used = cell();
        Cell fresh = cell();
        State x = State.of(Nd4j.rand(DataType.FLOAT, 2, 16, 8, 8));
        State z = State.of(Nd4j.rand(DataType.DOUBLE, 2, 16, 8, 8));
        State g = State.of(Nd4j.rand(DataType.DOUBLE, 2, 16, 8, 8));
        for (int i = 0; i < 3; i++) {
            try (MemoryWorkspace ws = Workspaces.iteration("CONV_CELL_WS_TEST")) {
                used.valueAndVjp(z, x, g);
            }
        }
        CellVjp a = used.valueAndVjp(z, x, g);
        CellVjp b = fresh.valueAndVjp(z, x, g);
        INDArray ga = a.gz().part(0);
        assertTrue(Double.isFinite(ga.sumNumber().doubleValue()), "finite state gradient");
        assertEquals(b.gz().part(0), ga);
        assertEquals(b.gx().part(0), a.gx().part(0));
        for (int i = 0; i < b.gParams().size(); i++) {
            assertEquals(b.gParams().get(i), a.gParams().get(i), "parameter " + i);
        }
    }
}
