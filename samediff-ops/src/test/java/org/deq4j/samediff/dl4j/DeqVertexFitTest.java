package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/** ComputationGraph.fit with a DeqVertex lowers the loss for every gradient strategy; the stats listener records it. */
class DeqVertexFitTest {

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void fitLowersTheLoss(Strategy strategy) {
        ComputationGraph net = DeqNets.net(DeqNets.conf(DeqNets.vertex(strategy.config()), new Adam(0.05)));
        DeqStatsListener stats = new DeqStatsListener(10);
        net.setListeners(stats);
        INDArray x = DeqNets.features(21, 32);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        double before = net.score(data);
        int iterations = 30;
        for (int i = 0; i < iterations; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(after < 0.7 * before, strategy + ": loss " + before + " -> " + after);

        List<DeqStatsListener.IterationStats> history = stats.history();
        assertEquals(iterations, history.size(), "one record per iteration");
        int steps = strategy.config().stop().maxSteps();
        int evalsPerStep = strategy.config().solver().evaluationsPerStep();
        for (DeqStatsListener.IterationStats s : history) {
            assertEquals("deq", s.vertex());
            assertEquals(32, s.batchSize());
            // Samples stop early only at an exact fixed point (residual 0): the tolerance is 1e-300.
            assertTrue(s.maxSteps() <= steps && s.meanSteps() <= s.maxSteps() && s.meanSteps() > 0);
            assertEquals(1 + s.maxSteps() * evalsPerStep, s.forwardEvaluations());
            assertTrue(s.backwardEvaluations() > 0, "a backward pass was recorded");
        }
        assertEquals(history.stream().mapToDouble(DeqStatsListener.IterationStats::meanSteps).average().orElseThrow(),
                stats.meanSteps("deq").orElseThrow(), 1e-12);
        assertTrue(stats.meanSteps("other").isEmpty());
    }
}
