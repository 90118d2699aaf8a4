package org.deq4j.samediff.op;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deq4j.samediff.cell.MlpCell;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The op inside a DL4J SameDiffLayer: DL4J's own gradient check through the layer. */
class RevDeqDl4jLayerTest {

    /** A test-only DL4J layer wrapping RevDEQ over the MLP cell, float64 throughout. */
    public static class RevDeqMlpLayer extends SameDiffLayer {
        private int nIn;
        private int nOut;

        public RevDeqMlpLayer() {
        }

        RevDeqMlpLayer(int nIn, int nOut) {
            this.nIn = nIn;
            this.nOut = nOut;
        }

        public int getNIn() {
            return nIn;
        }

        public void setNIn(int nIn) {
            this.nIn = nIn;
        }

        public int getNOut() {
            return nOut;
        }

        public void setNOut(int nOut) {
            this.nOut = nOut;
        }

        @Override
        public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
            RevDeq deq = RevDeq.of(new MlpCell(nOut, nIn), RevDeqFixture.float64(0.8, 3, 1e-12));
            SDVariable z = deq.apply(sd, input, List.of(params.get("W"), params.get("U"), params.get("b")));
            // M2.1's ExternalErrorsFunction, through which DL4J feeds the layer's output gradient, doubles
            // that gradient (docs/samediff-limitations.md #7): z/2 + stopGradient(z/2) is z forward and
            // halves the gradient backward.
            SDVariable half = z.mul(0.5);
            return half.add(new StopGradient(sd, half).outputVariable());
        }

        @Override
        public void defineParameters(SDLayerParams params) {
            params.addWeightParam("W", nOut, nOut);
            params.addWeightParam("U", nIn, nOut);
            params.addBiasParam("b", 1, nOut);
        }

        @Override
        public void initializeParameters(Map<String, INDArray> params) {
            var rng = Nd4j.getRandomFactory().getNewRandomInstance(17);
            params.get("W").assign(Nd4j.randn(rng, new long[] {nOut, nOut}).muli(0.3 / Math.sqrt(nOut)));
            params.get("U").assign(Nd4j.randn(rng, new long[] {nIn, nOut}).muli(1.0 / Math.sqrt(nIn)));
            params.get("b").assign(Nd4j.randn(rng, new long[] {1, nOut}).muli(0.1));
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return InputType.feedForward(nOut);
        }
    }

    @Test
    void dl4jGradientCheckPassesThroughTheLayer() {
        DataType before = Nd4j.dataType();
        DataType beforeFp = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE); // GradientCheckUtil insists
        try {
            gradientCheck();
        } finally {
            Nd4j.setDefaultDataTypes(before, beforeFp);
        }
    }

    private void gradientCheck() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(3)
                .updater(new NoOp()).list()
                .layer(new RevDeqMlpLayer(4, 6))
                .layer(new OutputLayer.Builder().nIn(6).nOut(3).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(5);
        INDArray in = Nd4j.randn(rng, new long[] {3, 4}).castTo(DataType.DOUBLE);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        for (int i = 0; i < 3; i++) {
            labels.putScalar(i, i % 3, 1.0);
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(in)
                .labels(labels).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).subset(true).maxPerParam(4)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "DL4J gradient check failed");
    }
}
