package org.deq4j.core.adjoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.check.FiniteDifferences;
import org.deq4j.core.check.GradientComparison;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Samples that converge at different steps are frozen, and every adjoint differentiates that. */
class PerSampleStoppingTest {
    /** Without bias the fixed point scales with the injection, so tiny injections converge first. */
    private final TanhMlpCell cell = withoutBias(TanhMlpCell.random(6, 5, 0.6, 5, DataType.DOUBLE));
    /** Injections of very different sizes converge after different numbers of steps. */
    private final State x = State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(1), new long[] {4, 5})
            .castTo(DataType.DOUBLE).mulColumnVector(Nd4j.createFromArray(1e-7, 1e-3, 0.3, 3.0).reshape(4, 1)));
    private final State w = State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(2), new long[] {4, 6})
            .castTo(DataType.DOUBLE));

    private static TanhMlpCell withoutBias(TanhMlpCell c) {
        return new TanhMlpCell(c.parameters().get(0), c.parameters().get(1), Nd4j.zeros(DataType.DOUBLE, 1, 6));
    }

    private Deq deq(Adjoint adjoint, double beta) {
        return Deq.of(DeqConfig.builder().solver(new ReversibleSolver(beta)).adjoint(adjoint).maxSteps(40).tol(1e-6)
                .stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build());
    }

    @Test
    void samplesStopAtDifferentStepsAndFrozenSamplesKeepTheirValues() {
        DeqSolution sol = deq(new UnrolledAdjoint(), 0.8).solve(cell, x);
        SolverStats stats = sol.stats();
        assertTrue(Arrays.stream(stats.steps()).distinct().count() >= 2,
                "expected different step counts, got " + Arrays.toString(stats.steps()));
        for (int i = 0; i < 4; i++) {
            assertTrue(stats.converged(i), "sample " + i + " residual " + stats.finalResidual()[i]);
            // The trace repeats a frozen sample's last residual.
            double atStop = stats.trace().get(stats.steps()[i])[i];
            assertEquals(atStop, stats.trace().get(stats.trace().size() - 1)[i], 0.0);
            assertEquals(stats.finalResidual()[i], stats.lowestResidual()[i], 1e-300 + stats.finalResidual()[i]);
        }
        // Two reversible evaluations per step of the batch loop plus the initial one.
        assertEquals(1 + 2 * stats.maxSteps(), stats.cellEvaluations());
        // Each sample equals the same sample solved alone, which stops at its own step.
        for (int i = 0; i < 4; i++) {
            State xi = State.of(x.part(0).getRow(i, true).dup());
            DeqSolution alone = deq(new UnrolledAdjoint(), 0.8).solve(cell, xi);
            assertEquals(stats.steps()[i], alone.stats().steps()[0]);
            assertEquals(0.0, GradientComparison.relativeError(sol.z().part(0).getRow(i, true), alone.z().part(0)),
                    1e-15);
        }
    }

    @Test
    void reversibleMatchesUnrolledAndFiniteDifferencesWithPerSampleSteps() {
        for (double beta : new double[] {0.8, 1.2}) {
            DeqSolution rev = deq(new ReversibleAdjoint(), beta).solve(cell, x);
            DeqSolution unr = deq(new UnrolledAdjoint(), beta).solve(cell, x);
            assertArrayEquals(unr.stats().steps(), rev.stats().steps());
            DeqGradients gr = rev.backward(w);
            DeqGradients gu = unr.backward(w);
            // Up to ~15 steps here: rounding grows like |1-β|^-steps, so 1e-7 rather than the matrix's 1e-9.
            assertTrue(GradientComparison.maxRelativeError(gr, gu) < 1e-7,
                    "beta " + beta + ": " + GradientComparison.maxRelativeError(gr, gu));
            // Drift grows like |1-β|^-steps; over-relaxed β = 1.2 also takes more steps here.
            double driftBound = beta < 1 ? 1e-6 : 1e-2;
            assertTrue(gr.stats().drift().getAsDouble() < driftBound,
                    "drift " + gr.stats().drift() + " after steps " + Arrays.toString(rev.stats().steps()));
            double fd = FiniteDifferences.check(deq(new ReversibleAdjoint(), beta), cell, x, w, 1e-7, 3)
                    .maxRelativeError();
            assertTrue(fd < 1e-5, "finite differences, beta " + beta + ": " + fd);
        }
    }

    /**
     * Freezing must make the batch gradient the sum of per-sample gradients, each sample
     * differentiated through exactly its own number of steps (a fixed budget when solved alone).
     * Finite differences are unreliable here: a perturbation can move a sample's stopping step.
     */
    @Test
    void frozenBatchGradientIsTheSumOfPerSampleGradients() {
        for (Adjoint adjoint : new Adjoint[] {new UnrolledAdjoint(), new ReversibleAdjoint()}) {
            DeqConfig batchConfig = DeqConfig.builder().solver(new ReversibleSolver(0.8)).adjoint(adjoint)
                    .maxSteps(60).tol(1e-8).stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build();
            DeqSolution sol = Deq.of(batchConfig).solve(cell, x);
            int[] steps = sol.stats().steps();
            assertTrue(Arrays.stream(steps).distinct().count() >= 2, Arrays.toString(steps));
            DeqGradients batch = sol.backward(w);
            INDArray[] paramSum = null;
            for (int i = 0; i < 4; i++) {
                State xi = State.of(x.part(0).getRow(i, true).dup());
                State wi = State.of(w.part(0).getRow(i, true).dup());
                DeqConfig alone = batchConfig.toBuilder().maxSteps(Math.max(steps[i], 1)).tol(1e-300).build();
                DeqSolution si = Deq.of(alone).solve(cell, xi);
                DeqGradients gi = steps[i] == 0 ? null : si.backward(wi);
                INDArray gxRow = batch.gx().part(0).getRow(i, true);
                if (gi == null) {
                    assertEquals(0.0, gxRow.amaxNumber().doubleValue(), 0.0);
                    continue;
                }
                assertTrue(GradientComparison.relativeError(gxRow, gi.gx().part(0)) < 1e-9, adjoint.name());
                if (paramSum == null) {
                    paramSum = gi.gParams().stream().map(INDArray::dup).toArray(INDArray[]::new);
                } else {
                    for (int p = 0; p < paramSum.length; p++) {
                        paramSum[p].addi(gi.gParams().get(p));
                    }
                }
            }
            for (int p = 0; p < paramSum.length; p++) {
                assertTrue(GradientComparison.relativeError(batch.gParams().get(p), paramSum[p]) < 1e-9,
                        adjoint.name() + " parameter " + p);
            }
        }
    }

    @Test
    void reversibleBackwardLeavesTheSolutionReusable() {
        DeqSolution rev = deq(new ReversibleAdjoint(), 0.8).solve(cell, x);
        INDArray before = rev.z().part(0).dup();
        DeqGradients first = rev.backward(w);
        DeqGradients second = rev.backward(w);
        assertEquals(before, rev.z().part(0));
        assertEquals(0.0, GradientComparison.maxRelativeError(first, second), 0.0);
    }
}
