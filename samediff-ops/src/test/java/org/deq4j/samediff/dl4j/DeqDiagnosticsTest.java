package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.diag.DeqMonitor;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.solver.StopMode;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.TestDataSetIterator;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Evaluation budgets, warm starts and diagnostics of DEQ vertices: inference takes ⌈factor · steps⌉
 * steps on both executions and training does not; the budget survives JSON; a warm start from the fixed
 * point converges at once; the monitor and the listener report residuals, drift and the spectral radius.
 */
class DeqDiagnosticsTest {

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    private static ComputationGraph net(DeqConfig config, DeqExecution execution) {
        DeqVertex v = DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2)).deq(config)
                .seed(7).execution(execution).build();
        return DeqNets.net(DeqNets.conf(v, new Sgd(0.01)));
    }

    private static DeqStatsSource deq(ComputationGraph g) {
        return DeqStatsSource.in(g).get(0);
    }

    private static SolverStats forward(DeqStatsSource v) {
        return v.lastForwardStats().orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(value = DeqExecution.class, names = {"REVDEQ_OP", "CORE_ENGINE"})
    void inferenceTakesTheEvaluationBudget(DeqExecution execution) {
        DeqConfig config = Strategy.REVERSIBLE.config().toBuilder().evalFactor(2.5).build(); // 6 -> 15 steps
        ComputationGraph g = net(config, execution);
        INDArray x = DeqNets.features(3, 8);
        g.output(false, x);
        SolverStats eval = forward(deq(g));
        assertEquals(15, eval.maxSteps());
        g.fit(new DataSet(x, DeqNets.labels(x)));
        assertEquals(6, forward(deq(g)).maxSteps(), "training keeps its budget");
        assertTrue(eval.cellEvaluations() > forward(deq(g)).cellEvaluations());

        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(g.getConfiguration(), back);
        assertTrue(g.getConfiguration().toJson().contains("eval_factor"));
        assertFalse(net(Strategy.REVERSIBLE.config(), execution).getConfiguration().toJson().contains("eval_"),
                "the default budget leaves the JSON as before");
    }

    @Test
    void warmStartFromTheFixedPointConvergesAtOnce() {
        DeqConfig config = DeqConfig.builder().solver(FixedPointSolver.plain()).adjoint(new PhantomAdjoint(1, 1.0))
                .maxSteps(80).tol(1e-10).stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build();
        ComputationGraph g = net(config, DeqExecution.CORE_ENGINE);
        INDArray x = DeqNets.features(5, 4);
        DeqStatsSource v = deq(g);
        v.keepNextFixedPoint();
        INDArray cold = g.outputSingle(false, x).dup();
        int coldSteps = forward(v).maxSteps();
        INDArray z = v.keptFixedPoint().orElseThrow();
        v.startNextInferenceFrom(z);
        INDArray warm = g.outputSingle(false, x).dup();
        int warmSteps = forward(v).maxSteps();
        assertTrue(coldSteps > 5 && warmSteps <= 1, coldSteps + " cold vs " + warmSteps + " warm steps");
        assertTrue(cold.equalsWithEps(warm, 1e-8));
        // the start is used once: the next solve is cold again
        g.outputSingle(false, x);
        assertEquals(coldSteps, forward(v).maxSteps());

        ComputationGraph op = net(Strategy.REVERSIBLE.config(), DeqExecution.REVDEQ_OP);
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> deq(op).startNextInferenceFrom(z));
        assertTrue(e.getMessage().contains("core_engine"), e.getMessage());
    }

    @Test
    void monitorReportsStepsResidualsDriftAndTheSpectralRadius() {
        double[] radius = new double[2];
        int i = 0;
        for (DeqExecution execution : new DeqExecution[] {DeqExecution.REVDEQ_OP, DeqExecution.CORE_ENGINE}) {
            ComputationGraph g = net(Strategy.REVERSIBLE.config(), execution);
            DeqMonitor m = DeqStatsSource.monitor(g);
            assertTrue(m.lastStep().isEmpty() && m.cellEvaluationsLastStep().isEmpty());
            INDArray x = DeqNets.features(9, 8);
            g.fit(new DataSet(x, DeqNets.labels(x)));
            var step = m.lastStep().orElseThrow();
            assertEquals(6, step.meanSteps());
            assertTrue(step.maxResidual() >= step.meanResidual() && step.meanResidual() > 0);
            assertTrue(step.drift().isPresent() && step.drift().getAsDouble() < 1e-8, step.toString());

            radius[i++] = m.spectralRadius(() -> g.output(false, x), Integer.MAX_VALUE, 30).orElseThrow();
            double[] perSample = deq(g).spectralRadius(Integer.MAX_VALUE, 30, 0x5EC7);
            assertEquals(8, perSample.length);
            assertEquals(java.util.Arrays.stream(perSample).average().orElseThrow(), radius[i - 1], 1e-12);
            assertTrue(m.spectralRadius(() -> { }, 8, 30).isEmpty(), "no solve, no estimate");
        }
        // the cell has contraction about 0.2; both executions see the same cell at the same fixed point
        assertTrue(radius[0] > 0.01 && radius[0] < 0.5, "rho " + radius[0]);
        assertEquals(radius[0], radius[1], 1e-6);
    }

    @Test
    void listenerSummarisesEpochsAndCallsBack() {
        ComputationGraph g = net(Strategy.REVERSIBLE.config(), DeqExecution.AUTO);
        List<DeqStatsListener.IterationStats> seen = new ArrayList<>();
        List<DeqStatsListener.EpochStats> epochs = new ArrayList<>();
        DeqStatsListener listener = new DeqStatsListener(0, seen::add, epochs::add);
        g.setListeners(listener);
        INDArray a = DeqNets.features(1, 16);
        g.fit(new TestDataSetIterator(new DataSet(a, DeqNets.labels(a)), 8), 2); // two batches, two epochs
        assertEquals(4, seen.size());
        assertEquals(listener.history(), seen);
        assertEquals(2, epochs.size());
        assertEquals(epochs, listener.epochs());
        for (int e = 0; e < 2; e++) {
            DeqStatsListener.EpochStats s = epochs.get(e);
            List<DeqStatsListener.IterationStats> its = seen.subList(2 * e, 2 * e + 2);
            assertEquals(2, s.iterations());
            assertEquals("deq", s.vertex());
            assertEquals((its.get(0).meanResidual() + its.get(1).meanResidual()) / 2, s.meanResidual(), 1e-15);
            assertEquals(Math.max(its.get(0).maxResidual(), its.get(1).maxResidual()), s.maxResidual());
            assertEquals(6, s.meanSteps());
            assertTrue(s.meanDrift().isPresent());
            assertTrue(its.get(0).drift().isPresent() && its.get(0).backwardEvaluations() > 0);
        }
    }
}
