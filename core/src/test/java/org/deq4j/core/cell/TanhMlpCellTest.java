package org.deq4j.core.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TanhMlpCellTest {

    /** The GEMM-into-sums path must equal the scaled VJP added to the sums. */
    @Test
    void vjpIntoAddsTheScaledVjpToTheSums() {
        TanhMlpCell cell = TanhMlpCell.random(7, 5, 0.8, 1, DataType.DOUBLE);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(2);
        State z = State.of(Nd4j.randn(rng, new long[] {3, 7}).castTo(DataType.DOUBLE));
        State x = State.of(Nd4j.randn(rng, new long[] {3, 5}).castTo(DataType.DOUBLE));
        State g = State.of(Nd4j.randn(rng, new long[] {3, 7}).castTo(DataType.DOUBLE));
        CellVjp v = cell.valueAndVjp(z, x, g);
        State gxSum = State.of(Nd4j.ones(DataType.DOUBLE, 3, 5));
        List<INDArray> sums = cell.parameters().stream().map(p -> Nd4j.ones(DataType.DOUBLE, p.shape())).toList();
        StateVjp s = cell.vjpInto(z, x, g, 0.7, gxSum, sums);
        assertEquals(0.0, s.value().maxAbsDifference(v.value()), 0.0);
        assertEquals(0.0, s.gz().maxAbsDifference(v.gz()), 1e-15);
        assertEquals(0.0, gxSum.part(0).sub(v.gx().part(0).mul(0.7).addi(1.0)).amaxNumber().doubleValue(), 1e-14);
        for (int i = 0; i < sums.size(); i++) {
            INDArray expected = v.gParams().get(i).mul(0.7).addi(1.0);
            assertEquals(0.0, sums.get(i).sub(expected).amaxNumber().doubleValue(), 1e-14, "parameter " + i);
        }
    }
}
