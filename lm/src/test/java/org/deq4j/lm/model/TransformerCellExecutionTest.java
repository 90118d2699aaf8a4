package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.samediff.dl4j.ExecutionCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The transformer cell in a DEQ vertex run by the RevDEQ op against the core engine, float64: fixed
 * point to 1e-12, gradients to 1e-9, with the LM's β 0.5 and 4 steps; also under locked dropout, whose
 * mask is one entry per sample and feature, shared by the tokens.
 */
class TransformerCellExecutionTest {
    @Test
    void opAndEngineAgree() {
        check(VariationalDropout.OFF);
    }

    @Test
    void opAndEngineAgreeUnderLockedDropout() {
        assertArrayEquals(new long[] {2, 1, 16},
                new TransformerCell(16, 2, 32, 8, TransformerCell.DEFAULT_EPS, false).dropoutMaskShape(
                        new long[] {2, 8, 16}));
        check(new VariationalDropout(0.3));
    }

    private static void check(VariationalDropout dropout) {
        DataType before = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            TransformerCell cell = new TransformerCell(16, 2, 32, 8, TransformerCell.DEFAULT_EPS, false);
            DeqConfig config = DeqConfig.builder().solver(new org.deq4j.core.solver.ReversibleSolver(0.5)).maxSteps(4)
                    .tol(1e-300).precision(PrecisionPolicy.DOUBLE).build();
            var rng = Nd4j.getRandomFactory().getNewRandomInstance(5);
            INDArray x = Nd4j.randn(rng, new long[] {2, 8, 16}).castTo(DataType.DOUBLE);
            INDArray gz = Nd4j.randn(rng, new long[] {2, 8, 16}).castTo(DataType.DOUBLE);
            ExecutionCheck.Result r = ExecutionCheck.compare(cell, config, dropout, x, gz, 3, java.util.Map.of());
            assertTrue(r.z() <= 1e-12, "z*: " + r.z());
            assertTrue(r.maxGradient() <= 1e-9, "gradients: " + r);
            assertEquals(cell.parameters().size(), r.gParams().size());
            assertTrue(r.opBackward().drift().orElseThrow() < 1e-9, "drift: " + r.opBackward());
        } finally {
            Nd4j.setDefaultDataTypes(before, before);
        }
    }
}
