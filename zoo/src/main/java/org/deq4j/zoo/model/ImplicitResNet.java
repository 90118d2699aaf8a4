package org.deq4j.zoo.model;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deq4j.core.GradientStrategy;
import org.deq4j.samediff.dl4j.DeqStabilisers;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.deq4j.samediff.dl4j.DeqGraphVertex;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.deq4j.train.compat.OneDnnLayerHelpers;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds the zoo's convolutional DEQ classifiers (the RevDEQ paper's "implicit ResNet" and its small
 * single-DEQ model) as DL4J {@link ComputationGraph}s from a {@link ZooPreset}. NCHW, float32 network,
 * float64 DEQ state (the default precision policy); every DEQ is a {@link DeqVertex} with a
 * {@link ConvResidualCell}, z0 = 0 and the stage input as injection.
 *
 * <p>{@link ZooPreset.Architecture#IMPLICIT_RESNET}, with C_i the stages' channels:
 * <pre>
 *   stem:   conv3x3(in → C_0, no bias, stride s) → BatchNorm → ReLU               vertex "stem_relu"
 *   stage i: x = x + DEQ_i(x)                                                     "deq{i}", "stage{i}"
 *   between stages i, i+1 (pre-activation downsample, no biases):
 *           h = conv3x3(ReLU(BN(conv3x3_s2(ReLU(BN(x))))))  (C_i → C_{i+1} → C_{i+1})
 *           x = h + conv1x1_s2(x)                                                 "down{i}"
 *   head:   global average pool → dense softmax output, cross-entropy            "pool", "out"
 * </pre>
 * {@link ZooPreset.Architecture#SINGLE_DEQ}: conv3x3(in → C, with bias) → {@link GroupNormLayer}(2 groups)
 * → DEQ → average pool to 4x4 (kernel = stride = size/4, PyTorch's adaptive pool for such sizes) →
 * dense softmax output over the 16·C features.
 *
 * <p>Initialisation: He-normal ({@code WeightInit.RELU}) for the DL4J layers; DEQ parameters from the
 * vertex seeds (derived from the network seed).
 *
 * <p>The configurations describe the architecture only: their updater is {@link NoOp}, so a graph built
 * from one as it is computes but does not learn (and the {@link org.deq4j.train.Trainer} refuses it).
 * Training code chooses the optimiser ({@link org.deq4j.train.AdamW#apply}), the paper's recipe being
 * <pre>{@code
 * ComputationGraph net = ImplicitResNet.build(AdamW.apply(ImplicitResNet.configuration(preset, gradient, seed),
 *         preset.learningRate(), AdamW.DEFAULT_WEIGHT_DECAY));
 * }</pre>
 */
public final class ImplicitResNet {
    /** Name of the input. */
    public static final String INPUT = "in";
    /** Name of the stem convolution (the first layer). */
    public static final String STEM = "stem_conv";
    /** Name of the output layer. */
    public static final String OUTPUT = "out";

    private ImplicitResNet() {
    }

    /**
     * The initialised network of {@code preset}, its DEQs differentiated by {@code gradient}, without an
     * optimiser: for inference and inspection (to train, see the class comment).
     *
     * @param seed seed of every parameter initialisation
     */
    public static ComputationGraph build(ZooPreset preset, GradientStrategy gradient, long seed) {
        return build(configuration(preset, gradient, seed));
    }

    /**
     * The initialised network of {@code conf}, a {@link #configuration} with or without an optimiser, with
     * DL4J's oneDNN layer helpers installed ({@link OneDnnLayerHelpers}).
     */
    public static ComputationGraph build(ComputationGraphConfiguration conf) {
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        OneDnnLayerHelpers.install(g);
        return g;
    }

    /**
     * The architecture of {@code preset} (see the class comment), its DEQs differentiated by
     * {@code gradient} and stabilised as the preset states ({@link ZooPreset#stabilisers()}); no optimiser.
     *
     * @param seed seed of every parameter initialisation
     */
    public static ComputationGraphConfiguration configuration(ZooPreset preset, GradientStrategy gradient, long seed) {
        DeqStabilisers stabilisers = preset.stabilisers();
        // NoOp, not DL4J's default Sgd: an architecture must not train with an optimiser nobody chose.
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder().seed(seed)
                .updater(new NoOp()).weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Truncate).graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(preset.imageSize(), preset.imageSize(), preset.inputChannels()));
        String last = switch (preset.architecture()) {
            case IMPLICIT_RESNET -> resNetBody(b, preset, gradient, seed, stabilisers);
            case SINGLE_DEQ -> singleDeqBody(b, preset, gradient, seed, stabilisers);
        };
        b.addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(preset.classes())
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build(), last);
        return b.setOutputs(OUTPUT).build();
    }

    private static String resNetBody(ComputationGraphConfiguration.GraphBuilder b, ZooPreset p,
                                     GradientStrategy gradient, long seed, DeqStabilisers stabilisers) {
        List<ZooPreset.Stage> stages = p.stages();
        int c0 = stages.get(0).channels();
        b.addLayer(STEM, conv(3, p.stemStride(), c0), INPUT)
                .addLayer("stem_bn", new BatchNormalization.Builder().build(), STEM)
                .addLayer("stem_relu", new ActivationLayer(Activation.RELU), "stem_bn");
        String x = "stem_relu";
        for (int i = 0; i < stages.size(); i++) {
            ZooPreset.Stage s = stages.get(i);
            if (i > 0) {
                x = downsample(b, "down" + i, x, s.channels());
            }
            String deq = "deq" + (i + 1);
            b.addVertex(deq, deqVertex(p, s, gradient, seed + 1000L * (i + 1), stabilisers), x);
            String stage = "stage" + (i + 1);
            b.addVertex(stage, new ElementWiseVertex(ElementWiseVertex.Op.Add), x, deq);
            x = stage;
        }
        b.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        return "pool";
    }

    private static String downsample(ComputationGraphConfiguration.GraphBuilder b, String n, String x, int out) {
        b.addLayer(n + "_bn1", new BatchNormalization.Builder().build(), x)
                .addLayer(n + "_relu1", new ActivationLayer(Activation.RELU), n + "_bn1")
                .addLayer(n + "_conv1", conv(3, 2, out), n + "_relu1")
                .addLayer(n + "_bn2", new BatchNormalization.Builder().build(), n + "_conv1")
                .addLayer(n + "_relu2", new ActivationLayer(Activation.RELU), n + "_bn2")
                .addLayer(n + "_conv2", conv(3, 1, out), n + "_relu2")
                .addLayer(n + "_skip", conv(1, 2, out), x)
                .addVertex(n, new ElementWiseVertex(ElementWiseVertex.Op.Add), n + "_conv2", n + "_skip");
        return n;
    }

    private static String singleDeqBody(ComputationGraphConfiguration.GraphBuilder b, ZooPreset p,
                                        GradientStrategy gradient, long seed, DeqStabilisers stabilisers) {
        ZooPreset.Stage s = p.stages().get(0);
        int pool = p.imageSize() / p.stemStride() / 4;
        b.addLayer(STEM, new ConvolutionLayer.Builder(3, 3).stride(p.stemStride(), p.stemStride()).padding(1, 1).nOut(s.channels())
                        .hasBias(true).activation(Activation.IDENTITY).build(), INPUT)
                .addLayer("stem_gn", new GroupNormLayer(s.channels(), 2, ConvResidualCell.DEFAULT_EPS), STEM)
                .addVertex("deq1", deqVertex(p, s, gradient, seed + 1000L, stabilisers), "stem_gn")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(pool, pool)
                        .stride(pool, pool).build(), "deq1");
        return "pool";
    }

    private static ConvolutionLayer conv(int kernel, int stride, int out) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(kernel / 2, kernel / 2)
                .nOut(out).hasBias(false).activation(Activation.IDENTITY).build();
    }

    private static DeqVertex deqVertex(ZooPreset p, ZooPreset.Stage s, GradientStrategy gradient, long seed,
                                       DeqStabilisers stabilisers) {
        DeqVertex.Builder b = DeqVertex.builder().cell(ConvResidualCell.of(s.channels(), s.width()))
                .deq(stabilisers.applyTo(gradient.config(s.steps(), p.beta(), p.tol()))).seed(seed);
        return stabilisers.applyTo(b).build();
    }

    /** The network's DEQ vertices, in graph order. */
    public static List<DeqGraphVertex> deqVertices(ComputationGraph graph) {
        return java.util.Arrays.stream(graph.getVertices()).filter(v -> v instanceof DeqGraphVertex)
                .map(v -> (DeqGraphVertex) v).toList();
    }
}
