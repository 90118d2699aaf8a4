package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.core.check.GradientComparison;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.ParamSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A full DEQ solve through the transformer cell in float64 (d 8, 2 heads, MLP 8→16→16→8, T 5, batch 2):
 * the reversible adjoint reproduces the unrolled gradient of the same 4-step reversible solve (β 0.5),
 * and the equilibrium is causal like the cell.
 */
class TransformerDeqTest {
    private static final DataType F64 = DataType.DOUBLE;
    private static final int STEPS = 4;

    private final TransformerCell cell = TestTransformers.tiny(true);
    private final SameDiffCell core = TestTransformers.coreCell(cell, TestTransformers.randomParameters(cell, 21, F64));
    private final Random rng = Nd4j.getRandomFactory().getNewRandomInstance(22);
    private final INDArray x = TestTransformers.randn(rng, F64, 2, 5, 8);

    @Test
    void reversibleGradientsMatchUnrolledBackpropagation() {
        State w = State.of(TestTransformers.randn(rng, F64, 2, 5, 8));
        DeqSolution reversible = deq(new ReversibleAdjoint()).solve(core, State.of(x));
        DeqSolution unrolled = deq(new UnrolledAdjoint()).solve(core, State.of(x));
        assertEquals(STEPS, reversible.stats().maxSteps());
        assertEquals(0, reversible.z().maxAbsDifference(unrolled.z()));

        DeqGradients gRev = reversible.backward(w);
        DeqGradients gRef = unrolled.backward(w);
        double err = GradientComparison.relativeError(gRev.gx().part(0), gRef.gx().part(0));
        assertTrue(gRef.gx().part(0).amaxNumber().doubleValue() > 1e-3, "the reference gradient is not trivial");
        List<ParamSpec> specs = cell.parameters();
        for (int i = 0; i < specs.size(); i++) {
            INDArray rev = gRev.gParams().get(i);
            INDArray ref = gRef.gParams().get(i);
            if (specs.get(i).name().equals("attnBk")) {
                // Its true gradient is zero (the softmax ignores a per-row constant): both are round-off,
                // so only their size is checked.
                assertTrue(rev.amaxNumber().doubleValue() < 1e-12 && ref.amaxNumber().doubleValue() < 1e-12);
                continue;
            }
            err = Math.max(err, GradientComparison.relativeError(rev, ref));
        }
        System.out.println("transformer DEQ, reversible vs unrolled gradients: max relative error " + err
                + ", drift " + gRev.stats().drift());
        assertTrue(err < 1e-9, "relative error " + err);
    }

    @Test
    void equilibriumIsCausal() {
        Deq deq = deq(new ReversibleAdjoint());
        INDArray base = deq.solve(core, State.of(x)).z().part(0);
        for (int first = 1; first < 5; first++) {
            INDArray x2 = x.dup();
            x2.get(positions(first, 5)).addi(TestTransformers.randn(rng, F64, 2, 5 - first, 8));
            INDArray out = deq.solve(core, State.of(x2)).z().part(0);
            assertArrayEquals(TransformerCellTest.flat(base.get(positions(0, first))),
                    TransformerCellTest.flat(out.get(positions(0, first))), "positions before " + first);
        }
    }

    private static Deq deq(Adjoint adjoint) {
        // A tolerance no residual reaches: every one of the 4 steps is taken, as in the paper.
        return Deq.of(DeqConfig.builder().solver(new ReversibleSolver(0.5)).adjoint(adjoint).maxSteps(STEPS)
                .tol(1e-300).stopMode(StopMode.RELATIVE).precision(PrecisionPolicy.DOUBLE).build());
    }

    private static INDArrayIndex[] positions(int from, int to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()};
    }
}
