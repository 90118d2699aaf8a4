package org.deq4j.train.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class OneDnnLayerHelpersTest {

    private static ComputationGraph net() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(0.1))
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(8, 8, 3))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static Object helper(ComputationGraph g, String layer) {
        return g.getLayer(layer) instanceof org.deeplearning4j.nn.layers.convolution.ConvolutionLayer c ? c.getHelper()
                : ((org.deeplearning4j.nn.layers.normalization.BatchNormalization) g.getLayer(layer)).getHelper();
    }

    /**
     * The M2.1 defect: on the oneDNN CPU backend DL4J installs no oneDNN helper (its check looks up a
     * method the native bindings call by another name). When an upgrade fixes it this test fails, and
     * {@link OneDnnLayerHelpers} becomes a no-op that can be removed.
     */
    @Test
    void dl4jInstallsNoHelperOnItsOwn() {
        assertTrue(OneDnnLayerHelpers.oneDnnAvailable(), "tests run on the oneDNN build");
        ComputationGraph g = net();
        assertNull(helper(g, "conv"));
        assertNull(helper(g, "bn"));
    }

    /** Installed helpers give the layers' own results (float32 rounding apart), forward and backward. */
    @Test
    void helpersComputeWhatTheLayersDo() {
        ComputationGraph plain = net();
        ComputationGraph fast = net();
        assertEquals(2, OneDnnLayerHelpers.install(fast));
        assertNotNull(helper(fast, "conv"));
        assertNotNull(helper(fast, "bn"));
        assertEquals(0, OneDnnLayerHelpers.install(fast), "installing twice changes nothing");
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3, 8, 8).subi(0.5);
        INDArray y = Nd4j.rand(DataType.FLOAT, 5, 2);
        assertClose(plain.outputSingle(true, x), fast.outputSingle(true, x), "training-mode output");
        plain.setInputs(x);
        plain.setLabels(y);
        fast.setInputs(x);
        fast.setLabels(y);
        plain.computeGradientAndScore();
        fast.computeGradientAndScore();
        for (Map.Entry<String, INDArray> e : plain.gradient().gradientForVariable().entrySet()) {
            assertClose(e.getValue(), fast.gradient().gradientForVariable().get(e.getKey()), "gradient " + e.getKey());
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = Math.max(1e-6, expected.amaxNumber().doubleValue());
        double err = expected.sub(actual).amaxNumber().doubleValue() / scale;
        assertTrue(err < 1e-4, what + ": relative difference " + err);
    }
}
