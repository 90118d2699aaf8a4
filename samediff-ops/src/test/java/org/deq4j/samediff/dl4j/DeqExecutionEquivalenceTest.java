package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The op-backed vertex against the engine-backed one in float64, on the conv cell (with GroupNorm)
 * and the tanh cell: forward to 1e-12, every gradient to 1e-9, with a fixed budget and with a
 * tolerance that stops samples at different steps; the op's drift reaches the backward statistics.
 * The transformer cell's counterpart is in the lm module.
 */
@ExtendWith(DoublePrecision.class)
class DeqExecutionEquivalenceTest {
    @BeforeAll
    static void registerCells() {
        ConvResidualCell.register();
        TanhTestCell.register();
    }

    private static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE);
    }

    /** gn1's shift of the conv cell (channels 4, width 6, 2 channels per group), off the ReLU's kink. */
    private static INDArray offKink() {
        return Nd4j.valueArrayOf(new long[] {1, 12, 2, 1}, 0.05, DataType.DOUBLE);
    }

    private static void assertAgree(ExecutionCheck.Result r) {
        assertTrue(r.z() <= 1e-12, "z*: " + r.z());
        assertTrue(r.maxGradient() <= 1e-9, "gradients: " + r);
        assertTrue(r.opBackward().drift().isPresent(), "the op reports its drift");
        assertTrue(r.opBackward().drift().getAsDouble() < 1e-6, "drift " + r.opBackward().drift());
        assertArrayEquals(r.engineSteps(), r.opSteps(), "per-sample steps");
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-300, 0.02})
    void convCellAgrees(double tol) {
        // 3 steps: the cell at its initial parameters is not contractive, and the reconstruction drift
        // (1e-10 here, 4e-8 at 4 steps) bounds how closely two exact implementations can agree
        DeqConfig config = DeqConfig.builder().maxSteps(3).tol(tol).precision(PrecisionPolicy.DOUBLE).build();
        ConvResidualCell cell = new ConvResidualCell(4, 6, 2, 1e-5, false);
        // from z0 = 0 the first GroupNorm outputs its shift; the initial shift 0 puts every ReLU input on
        // the kink, where the executions may pick different subgradients (see DeqVertexConvTest)
        ExecutionCheck.Result r = ExecutionCheck.compare(cell, config, randn(1, 3, 4, 5, 5), randn(2, 3, 4, 5, 5), 11,
                Map.of("gn1Beta", offKink()));
        assertAgree(r);
        assertEquals(cell.parameters().size(), r.gParams().size(), "every parameter compared: " + r.gParams().keySet());
    }

    /** Locked dropout: both executions draw the same (batch, channels, 1, 1) mask and use it forward and back. */
    @ParameterizedTest
    @ValueSource(doubles = {1e-300, 0.02})
    void convCellAgreesUnderLockedDropout(double tol) {
        DeqConfig config = DeqConfig.builder().maxSteps(3).tol(tol).precision(PrecisionPolicy.DOUBLE).build();
        ExecutionCheck.Result r = ExecutionCheck.compare(new ConvResidualCell(4, 6, 2, 1e-5, false), config,
                new VariationalDropout(0.5), randn(1, 3, 4, 5, 5), randn(2, 3, 4, 5, 5), 11,
                Map.of("gn1Beta", offKink()));
        assertAgree(r);
    }

    @Test
    void earlyStopsAgree() {
        DeqConfig config = DeqConfig.builder().maxSteps(30).tol(1e-5).precision(PrecisionPolicy.DOUBLE).build();
        INDArray x = randn(3, 4, DeqNets.HIDDEN);
        ExecutionCheck.Result r = ExecutionCheck.compare(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2), config,
                x, randn(4, 4, DeqNets.STATE), 7, Map.of());
        assertAgree(r);
        assertTrue(Arrays.stream(r.opSteps()).max().orElseThrow() < 30, "converged: " + Arrays.toString(r.opSteps()));
    }

    /**
     * A batch of one: the planned executor once handed a freed scalar buffer to a one-element value
     * while tracing the loops, and the op failed on its first run.
     */
    @Test
    void batchOfOneAgrees() {
        DeqConfig config = DeqConfig.builder().maxSteps(3).tol(1e-300).precision(PrecisionPolicy.DOUBLE).build();
        assertAgree(ExecutionCheck.compare(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2), config,
                randn(8, 1, DeqNets.HIDDEN), randn(9, 1, DeqNets.STATE), 7, Map.of()));
        assertAgree(ExecutionCheck.compare(new ConvResidualCell(4, 6, 2, 1e-5, false), config,
                randn(10, 1, 4, 3, 3), randn(11, 1, 4, 3, 3), 7,
                Map.of("gn1Beta", offKink())));
    }

    @Test
    void autoRunsTheOpForTheReversiblePairOnly() {
        DeqConfig reversible = DeqConfig.builder().precision(PrecisionPolicy.DOUBLE).build();
        DeqConfig implicit = reversible.toBuilder().solver(FixedPointSolver.plain())
                .adjoint(new ImplicitAdjoint(FixedPointSolver.plain(), new StopCriterion(10, 1e-6, StopMode.ABSOLUTE)))
                .build();
        DeqConfig absolute = reversible.toBuilder().stopMode(StopMode.ABSOLUTE).build();
        assertEquals(DeqExecution.REVDEQ_OP, DeqExecution.AUTO.resolve(reversible));
        assertEquals(DeqExecution.CORE_ENGINE, DeqExecution.AUTO.resolve(implicit));
        assertEquals(DeqExecution.CORE_ENGINE, DeqExecution.AUTO.resolve(absolute));
        assertThrows(InvalidConfigException.class, () -> ExecutionCheck.compare(
                new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2), implicit, randn(5, 2, DeqNets.HIDDEN),
                randn(6, 2, DeqNets.STATE), 1, Map.of()));
    }
}
