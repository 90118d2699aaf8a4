package org.deq4j.train;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small plain DL4J graphs for trainer tests (double precision). */
final class TinyModels {
    private TinyModels() {
    }

    /** features → dense(hidden, tanh) → softmax(classes), AdamW(lr, wd). */
    static ComputationGraph mlp(int features, int hidden, int classes, double lr, double wd, long seed) {
        return graph(AdamW.apply(mlpConfiguration(global(seed), features, hidden, classes), lr, wd));
    }

    /** The seeded, float64, Xavier-initialised global builder of {@link #mlp}, without an optimiser. */
    static NeuralNetConfiguration.Builder global(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE).weightInit(WeightInit.XAVIER);
    }

    /** The layers of {@link #mlp} on {@code global}. */
    static ComputationGraphConfiguration mlpConfiguration(NeuralNetConfiguration.Builder global, int features, int hidden,
                                                          int classes) {
        return global.graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(features).nOut(hidden).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(hidden).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out")
                .build();
    }

    /** An initialised graph of {@code conf}. */
    static ComputationGraph graph(ComputationGraphConfiguration conf) {
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }
}
