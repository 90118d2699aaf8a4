package org.deq4j.samediff.unrolled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.deq4j.samediff.dl4j.TanhTestCell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class UnrolledRevDeqTest {
    private static final int D = 5;
    private static final int IN = 3;
    private static final int BATCH = 4;

    private static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.createUninitialized(DataType.DOUBLE, shape),
                Nd4j.getRandomFactory().getNewRandomInstance(seed));
    }

    @ParameterizedTest
    @CsvSource({"0.8, 1", "0.8, 4", "0.8, 8", "1.2, 1", "1.2, 4", "1.2, 8"})
    void matchesCoreReversibleDeqValueAndGradients(double beta, int steps) {
        TanhMlpCell core = TanhMlpCell.random(D, IN, 0.7, 42, DataType.DOUBLE);
        INDArray x = randn(1, BATCH, IN);
        INDArray g = randn(2, BATCH, D);

        // A tolerance far below reachable residuals: every step is taken, as in the unrolled graph.
        Deq deq = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(beta)).adjoint(new ReversibleAdjoint())
                .maxSteps(steps).tol(1e-300).precision(PrecisionPolicy.DOUBLE).build());
        DeqSolution sol = deq.solve(core, x);
        DeqGradients want = sol.backward(State.of(g));

        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.var("x", x.dup());
        List<String> names = List.of("W", "U", "b");
        List<SDVariable> params = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            params.add(sd.var(names.get(i), core.parameters().get(i).dup()));
        }
        SDVariable out = UnrolledRevDeq.apply(sd, new TanhTestCell(D, IN, 0.7), xv, params, beta, steps);
        out.mul(sd.constant(g)).sum().markAsLoss();
        INDArray z = sd.output(Map.of(), out.name()).get(out.name());
        assertClose(sol.z().part(0), z, 1e-12, "z*");

        List<String> wrt = new ArrayList<>(names);
        wrt.add("x");
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), wrt);
        assertClose(want.gx().part(0), grads.get("x"), 1e-9, "dL/dx");
        for (int i = 0; i < 3; i++) {
            assertClose(want.gParams().get(i), grads.get(names.get(i)), 1e-9, "dL/d" + names.get(i));
        }
    }

    @Test
    void dynamicBatchMatchesStaticBatch() {
        TanhTestCell cell = new TanhTestCell(D, IN, 0.7);
        INDArray x = randn(3, BATCH, IN);
        INDArray[] results = new INDArray[2];
        for (int k = 0; k < 2; k++) {
            SameDiff sd = SameDiff.create();
            SDVariable xv = k == 0 ? sd.placeHolder("x", DataType.DOUBLE, -1, IN) : sd.constant("x", x);
            List<SDVariable> params = CellParameters.create(sd, cell, "deq_", 7, DataType.DOUBLE);
            SDVariable out = UnrolledRevDeq.apply(sd, cell, xv, params, 0.8, 3);
            results[k] = sd.output(k == 0 ? Map.of("x", x) : Map.of(), out.name()).get(out.name());
        }
        assertClose(results[1], results[0], 1e-15, "placeholder vs constant injection");
    }

    @Test
    void convCellBaselineHasFiniteGradientsMatchingFiniteDifferences() {
        ConvResidualCell cell = new ConvResidualCell(4, 2, 2, 1e-5, false);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", randn(4, 2, 4, 6, 6));
        List<SDVariable> params = CellParameters.create(sd, cell, "", 5, DataType.DOUBLE);
        SDVariable out = UnrolledRevDeq.apply(sd, cell, x, params, 0.8, 2);
        SDVariable loss = out.mul(sd.constant(randn(6, 2, 4, 6, 6))).sum();
        loss.markAsLoss();
        List<String> wrt = new ArrayList<>(List.of("x"));
        params.forEach(p -> wrt.add(p.name()));
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), wrt);
        for (String name : wrt) {
            INDArray gr = grads.get(name);
            assertTrue(Double.isFinite(gr.sumNumber().doubleValue()) && gr.amaxNumber().doubleValue() > 0,
                    "gradient of " + name + " must be finite and non-zero");
        }
        // Spot-check two gradients against central differences of the graph's own forward pass.
        double h = 1e-6;
        for (String name : List.of("x", "conv1_W", "gn3_gamma")) {
            INDArray arr = sd.getVariable(name).getArr();
            long idx = arr.length() / 3;
            double orig = arr.getDouble(idx);
            arr.putScalar(idx, orig + h);
            double up = sd.output(Map.of(), loss.name()).get(loss.name()).getDouble(0);
            arr.putScalar(idx, orig - h);
            double down = sd.output(Map.of(), loss.name()).get(loss.name()).getDouble(0);
            arr.putScalar(idx, orig);
            double fd = (up - down) / (2 * h);
            assertEquals(fd, grads.get(name).getDouble(idx), 1e-6 * Math.max(1, Math.abs(fd)), name + "[" + idx + "]");
        }
    }

    @Test
    void rejectsBadArguments() {
        TanhTestCell cell = new TanhTestCell(D, IN, 0.7);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, IN);
        List<SDVariable> params = CellParameters.create(sd, cell, "", 1, DataType.DOUBLE);
        assertThrows(InvalidConfigException.class, () -> UnrolledRevDeq.apply(sd, cell, x, params, 2.0, 4));
        assertThrows(InvalidConfigException.class, () -> UnrolledRevDeq.apply(sd, cell, x, params, 0.8, 0));
        assertThrows(RuntimeException.class, () -> UnrolledRevDeq.apply(sd, cell, x, params.subList(0, 2), 0.8, 4));
        assertThrows(InvalidConfigException.class, () -> CellParameters.create(sd, cell, "", 1, DataType.DOUBLE),
                "duplicate names");
    }

    private static void assertClose(INDArray want, INDArray got, double relTol, String what) {
        assertTrue(java.util.Arrays.equals(want.shape(), got.shape()), what + ": shapes differ");
        double scale = Math.max(want.amaxNumber().doubleValue(), 1e-300);
        double err = want.sub(got).amaxNumber().doubleValue();
        assertTrue(err <= relTol * scale, what + ": max abs error " + err + " vs scale " + scale);
    }
}
