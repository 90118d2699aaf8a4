package org.deq4j.core.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.check.GradientComparison;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PrecisionPolicyTest {
    private final INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(4), new long[] {8, 16})
            .castTo(DataType.DOUBLE);
    private final INDArray w = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(5), new long[] {8, 32})
            .castTo(DataType.DOUBLE);

    private DeqGradients run(PrecisionPolicy policy, DataType cellType, int steps, double[] drift) {
        TanhMlpCell cell = TanhMlpCell.random(32, 16, 0.9, 6, cellType);
        Deq deq = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(0.8))
                .adjoint(new ReversibleAdjoint(new DriftCheck(1e-6, DriftCheck.Action.IGNORE)))
                .maxSteps(steps).tol(1e-300).precision(policy).build());
        DeqSolution sol = deq.solve(cell, State.of(x.castTo(policy.stateType())));
        assertEquals(policy.stateType(), sol.z().dataType());
        DeqGradients g = sol.backward(State.of(w));
        drift[0] = g.stats().drift().getAsDouble();
        return g;
    }

    @Test
    void mixedPrecisionKeepsTheStateInFloat64AndGradientsCloseToFloat64() {
        double[] drift = new double[1];
        DeqGradients full = run(PrecisionPolicy.DOUBLE, DataType.DOUBLE, 4, drift);
        DeqGradients mixed = run(PrecisionPolicy.MIXED, DataType.FLOAT, 4, drift);
        assertEquals(DataType.FLOAT, mixed.gParams().get(0).dataType());
        assertEquals(DataType.DOUBLE, mixed.gx().dataType());
        assertTrue(GradientComparison.maxRelativeError(mixed, full) < 1e-4,
                "" + GradientComparison.maxRelativeError(mixed, full));
        // The float32 cell gives the same numbers forward and backward, so float64 state keeps the rebuild exact.
        assertTrue(drift[0] < 1e-9, "mixed drift " + drift[0]);
    }

    @Test
    void driftIsTinyInFloat64AndLargeInFloat32() {
        double[] d64 = new double[1];
        double[] d32 = new double[1];
        run(PrecisionPolicy.DOUBLE, DataType.DOUBLE, 4, d64);
        run(PrecisionPolicy.FLOAT, DataType.FLOAT, 12, d32);
        System.out.printf("drift float64 4 steps %.3e, float32 12 steps %.3e%n", d64[0], d32[0]);
        assertTrue(d64[0] < 1e-11, "float64 drift " + d64[0]);
        assertTrue(d32[0] > 1e3 * d64[0], "float32 drift " + d32[0]);
    }

    @Test
    void parsesTypeNames() {
        assertEquals(DataType.DOUBLE, PrecisionPolicy.parseType("float64"));
        assertEquals(DataType.FLOAT, PrecisionPolicy.parseType("Float32"));
        assertEquals(DataType.BFLOAT16, PrecisionPolicy.parseType("bf16"));
    }
}
