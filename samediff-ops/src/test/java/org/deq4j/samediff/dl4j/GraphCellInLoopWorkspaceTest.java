package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The conv cell through {@link GraphCellAdapter}, evaluated the way the core engine's solver loops
 * evaluate it: each iteration inside an ND4J loop workspace (whose memory the next iteration reuses),
 * first use included. SameDiff executions there used to return corrupted results (NaN, or gradients
 * 10^4 too large) from the second iteration on. The reference is a second adapter over the same
 * parameters evaluated outside any workspace.
 */
class GraphCellInLoopWorkspaceTest {
    private static final long[] SHAPE = {2, 4, 6, 6};

    @Test
    void valuesAndVjpsInsideLoopWorkspacesMatchThoseOutside() {
        ConvResidualCell conv = ConvResidualCell.of(4, 1);
        SameDiff holder = SameDiff.create();
        List<INDArray> params = new ArrayList<>();
        for (SDVariable p : CellParameters.create(holder, conv, "", 5, DataType.FLOAT)) {
            params.add(p.getArr());
        }
        long[] sample = {SHAPE[1], SHAPE[2], SHAPE[3]};
        Cell inLoop = GraphCellAdapter.toCell(conv, sample, params);
        Cell reference = GraphCellAdapter.toCell(conv, sample, params);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(11);
        State x = State.of(Nd4j.randn(rng, SHAPE).castTo(DataType.FLOAT));
        for (int it = 0; it < 4; it++) {
            State z = State.of(Nd4j.randn(rng, SHAPE).castTo(DataType.FLOAT));
            State g = State.of(Nd4j.randn(rng, SHAPE).castTo(DataType.FLOAT));
            CellVjp expected = reference.valueAndVjp(z, x, g);
            State applied = reference.apply(z, x);
            try (MemoryWorkspace ws = Workspaces.iteration("graph-cell-test")) {
                // other work of the iteration claims workspace memory too
                Nd4j.rand(DataType.FLOAT, SHAPE).addi(1.0);
                CellVjp actual = inLoop.valueAndVjp(z, x, g);
                State value = inLoop.apply(z, x);
                Nd4j.rand(DataType.FLOAT, SHAPE).muli(3.0);
                String when = "iteration " + it;
                assertClose(applied.part(0), value.part(0), when + ": apply");
                assertClose(expected.value().part(0), actual.value().part(0), when + ": value");
                assertClose(expected.gz().part(0), actual.gz().part(0), when + ": dz");
                assertClose(expected.gx().part(0), actual.gx().part(0), when + ": dx");
                for (int i = 0; i < params.size(); i++) {
                    assertClose(expected.gParams().get(i), actual.gParams().get(i),
                            when + ": d" + conv.parameters().get(i).name());
                }
            }
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = expected.norm2Number().doubleValue();
        double err = expected.sub(actual).norm2Number().doubleValue();
        assertTrue(Double.isFinite(err), what + " is not finite");
        assertEquals(0.0, err, 1e-5 * Math.max(scale, 1e-6), what);
    }
}
