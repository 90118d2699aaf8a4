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
    void forwardAndGradientsMatchCoreEngine(double beta, int steps) {
        RevDeqFixture f = new RevDeqFixture(beta, steps, 1e-10, 7);
        INDArray z = f.output();
        INDArray zRef = f.coreSolution().z().part(0);
        assertTrue(maxAbs(z.sub(zRef)) <= 1e-12, "forward differs by " + maxAbs(z.sub(zRef)));

        Map<String, INDArray> g = f.gradients();
        DeqGradients ref = f.coreGradients();
        assertClose(ref.gx().part(0), g.get("x"), "x");
        for (int i = 0; i < RevDeqFixture.PARAMS.length; i++) {
            assertClose(ref.gParams().get(i), g.get(RevDeqFixture.PARAMS[i]), RevDeqFixture.PARAMS[i]);
        }
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
