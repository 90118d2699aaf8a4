package org.deq4j.samediff.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RevDeqOpTest {

    @ParameterizedTest
    @CsvSource({"0.8, 1", "0.8, 4", "0.8, 8", "1.2, 1", "1.2, 4", "1.2, 8"})
    void forwardAndGradientsMatchCoreEngineAndUnrolledGraph(double beta, int steps) {
        // tol 1e-300: every step is taken, as in the unrolled graph.
        RevDeqFixture f = new RevDeqFixture(beta, steps, 1e-300, 7);
        INDArray z = f.output();
        INDArray zRef = f.coreSolution().z().part(0);
        Map<String, INDArray> unrolled = f.unrolled();
        assertTrue(maxAbs(z.sub(zRef)) <= 1e-12, "forward differs from core by " + maxAbs(z.sub(zRef)));
        assertTrue(maxAbs(z.sub(unrolled.get("z"))) <= 1e-12,
                "forward differs from unrolled graph by " + maxAbs(z.sub(unrolled.get("z"))));

        Map<String, INDArray> g = f.gradients();
        DeqGradients ref = f.coreGradients();
        assertClose(ref.gx().part(0), g.get("x"), "x vs core");
        assertClose(unrolled.get("x"), g.get("x"), "x vs unrolled");
        for (int i = 0; i < RevDeqFixture.PARAMS.length; i++) {
            String name = RevDeqFixture.PARAMS[i];
            assertClose(ref.gParams().get(i), g.get(name), name + " vs core");
            assertClose(unrolled.get(name), g.get(name), name + " vs unrolled");
        }
    }

    /**
     * Why 1e-9 is reachable without a drift allowance: f = tanh(z·W + …) has Lipschitz constant in z
     * at most ‖W‖₂ (|tanh'| <= 1), which is well below 1 for the fixture's cell.
     */
    @Test
    void fixtureCellIsAContraction() {
        INDArray w = new RevDeqFixture(0.8, 1, 1e-300, 7).coreCell.parameters().get(0);
        INDArray v = Nd4j.ones(DataType.DOUBLE, w.size(0), 1);
        double sigma = 0;
        for (int i = 0; i < 200; i++) {
            INDArray wv = w.mmul(v);
            sigma = wv.norm2Number().doubleValue() / v.norm2Number().doubleValue();
            v = w.transpose().mmul(wv);
            v.divi(v.norm2Number());
        }
        assertTrue(sigma < 0.6, "spectral norm of W " + sigma);
    }

    @Test
    void batchSizeMayChangeBetweenCalls() {
        RevDeqFixture f = new RevDeqFixture(0.8, 4, 1e-10, 9);
        f.output();
        INDArray x5 = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(99), new long[] {5, RevDeqFixture.INPUT})
                .castTo(DataType.DOUBLE);
        INDArray z5 = f.sd.output(Map.of("x", x5), f.z.name()).get(f.z.name());
        INDArray ref = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(0.8)).adjoint(new ReversibleAdjoint())
                .maxSteps(4).tol(1e-10).precision(PrecisionPolicy.DOUBLE).build()).solve(f.coreCell, x5).z().part(0);
        assertTrue(maxAbs(z5.sub(ref)) <= 1e-12, "forward differs by " + maxAbs(z5.sub(ref)));
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double scale = Math.max(1e-12, maxAbs(expected));
        double err = maxAbs(expected.sub(actual.reshape(expected.shape())));
        assertTrue(err / scale <= 1e-9, what + ": relative error " + err / scale);
    }

    static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }
}
