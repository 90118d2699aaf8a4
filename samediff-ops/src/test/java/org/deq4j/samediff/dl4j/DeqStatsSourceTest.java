package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.samediff.cell.MlpCell;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The per-step statistics for a trainer find DEQ vertices and DEQ layers and add up their work. */
class DeqStatsSourceTest {

    @Test
    void countsEveryDeqVertexAndLayerOfTheGraph() {
        ComputationGraph one = graph(1);
        ComputationGraph two = graph(2);
        assertTrue(DeqStatsSource.lastStepCellEvaluations(two).get().isEmpty(), "no solve yet");

        double single = stepWork(one);
        double both = stepWork(two);
        // Fixed step budgets: every DEQ of the same configuration does the same work per step.
        assertTrue(single > 0, "one DEQ's work " + single);
        assertEquals(2 * single, both, 0.0, "a DEQ vertex followed by a DEQ layer");
    }

    private static double stepWork(ComputationGraph g) {
        g.fit(new INDArray[] {Nd4j.rand(DataType.DOUBLE, 4, 3)},
                new INDArray[] {Nd4j.eye(3).castTo(DataType.DOUBLE).getRows(0, 1, 2, 0)});
        return DeqStatsSource.lastStepCellEvaluations(g).get().orElseThrow();
    }

    /** input -> dense(3) -> DEQ vertex [-> DEQ layer] -> softmax output. */
    private static ComputationGraph graph(int deqs) {
        var b = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new Sgd(0.1))
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(3))
                .addLayer("dense", new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build(), "in")
                .addVertex("deq1", deq().build(), "dense");
        String last = "deq1";
        if (deqs == 2) {
            b.addLayer("deq2", deq().buildLayer(), "deq1");
            last = "deq2";
        }
        ComputationGraph g = new ComputationGraph(b.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(3).activation(Activation.SOFTMAX).build(), last).setOutputs("out").build());
        g.init();
        return g;
    }

    private static DeqVertex.Builder deq() {
        DeqConfig config = DeqConfig.builder().precision(PrecisionPolicy.DOUBLE).solver(new ReversibleSolver(0.8))
                .adjoint(new ReversibleAdjoint()).maxSteps(3).tol(1e-300).build();
        return DeqVertex.builder().cell(new MlpCell(3, 3)).deq(config).seed(7);
    }
}
