package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The DL4J GroupNorm layer against a loop-by-loop reference (PyTorch's definition). */
class GroupNormLayerTest {

    @Test
    void matchesPlainReference() {
        int n = 2, c = 6, g = 3, h = 4, w = 5;
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(h, w, c))
                .addLayer("gn", new GroupNormLayer(c, g, 1e-5), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build(), "gn")
                .setOutputs("out").build());
        net.init();
        INDArray gamma = net.getLayer("gn").getParam(GroupNormLayer.GAMMA);
        INDArray beta = net.getLayer("gn").getParam(GroupNormLayer.BETA);
        assertEquals(Nd4j.ones(DataType.DOUBLE, gamma.shape()), gamma, "gain starts at 1");
        gamma.assign(Nd4j.rand(DataType.DOUBLE, gamma.shape()).addi(0.5));
        beta.assign(Nd4j.rand(DataType.DOUBLE, beta.shape()));
        double[] gm = gamma.dup().data().asDouble();
        double[] bt = beta.dup().data().asDouble();
        INDArray x = Nd4j.rand(DataType.DOUBLE, n, c, h, w).muli(3).subi(1);
        INDArray y = net.feedForward(x, false).get("gn");
        int per = c / g;
        for (int s = 0; s < n; s++) {
            for (int grp = 0; grp < g; grp++) {
                double sum = 0, sq = 0;
                int count = per * h * w;
                for (int ch = grp * per; ch < (grp + 1) * per; ch++) {
                    for (int i = 0; i < h; i++) {
                        for (int j = 0; j < w; j++) {
                            sum += x.getDouble(s, ch, i, j);
                        }
                    }
                }
                double mean = sum / count;
                for (int ch = grp * per; ch < (grp + 1) * per; ch++) {
                    for (int i = 0; i < h; i++) {
                        for (int j = 0; j < w; j++) {
                            double d = x.getDouble(s, ch, i, j) - mean;
                            sq += d * d;
                        }
                    }
                }
                double inv = 1 / Math.sqrt(sq / count + 1e-5);
                for (int ch = grp * per; ch < (grp + 1) * per; ch++) {
                    for (int i = 0; i < h; i++) {
                        for (int j = 0; j < w; j++) {
                            double want = (x.getDouble(s, ch, i, j) - mean) * inv * gm[ch] + bt[ch];
                            assertEquals(want, y.getDouble(s, ch, i, j), 1e-9);
                        }
                    }
                }
            }
        }
    }

    @Test
    void rejectsBadGroupsAndInputs() {
        assertThrows(InvalidConfigException.class, () -> new GroupNormLayer(6, 4, 1e-5));
        assertThrows(InvalidConfigException.class, () -> new GroupNormLayer(6, 3, 0));
        assertThrows(InvalidConfigException.class,
                () -> new GroupNormLayer(6, 3, 1e-5).getOutputType(0, InputType.convolutional(4, 4, 5)));
    }
}
