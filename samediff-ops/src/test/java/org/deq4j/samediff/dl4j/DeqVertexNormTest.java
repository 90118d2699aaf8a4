package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.config.NormConfig;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.deq4j.samediff.unrolled.UnrolledRevDeq;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Weight and spectral normalisation on a DEQ vertex (float64): the network gradient against central
 * differences on both runtimes, one power iteration per training step untouched by the optimiser and
 * weight decay, save/load, JSON and the torchdeq-style map.
 */
@ExtendWith(DoublePrecision.class)
class DeqVertexNormTest {
    private static final NormConfig SN = NormConfig.spectralNorm();
    private static final NormConfig WN = NormConfig.weightNorm();

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    private static DeqVertex vertex(Strategy strategy, NormConfig norm) {
        return DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2)).deq(strategy.config())
                .seed(7).norm(norm).build();
    }

    /** {@link DeqNets#conf} with Adam and decoupled weight decay on weights and biases. */
    private static ComputationGraphConfiguration decayed(DeqVertex deq) {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE).updater(new Adam(5e-2))
                .weightDecay(0.5, true).weightDecayBias(0.5, true)
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(DeqNets.IN))
                .addLayer("dense", new DenseLayer.Builder().nOut(DeqNets.HIDDEN).activation(Activation.TANH).build(), "in")
                .addVertex("deq", deq, "dense")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(DeqNets.CLASSES)
                        .activation(Activation.SOFTMAX).build(), "deq")
                .setOutputs("out").build();
    }

    private static DeqGraphVertex deq(ComputationGraph net) {
        return (DeqGraphVertex) net.getVertex("deq");
    }

    static Stream<Arguments> runtimesAndNorms() {
        return Stream.of(Arguments.of(Strategy.REVERSIBLE, SN), Arguments.of(Strategy.REVERSIBLE, WN.withClip(1.2)),
                Arguments.of(Strategy.UNROLLED, SN.withLearnScale(false).withTargetNorm(0.9)),
                Arguments.of(Strategy.UNROLLED, WN));
    }

    /**
     * The backprop gradient of every DEQ parameter against central differences of the inference score
     * (which runs no power iteration, so u and v stay where the training pass left them): the
     * RevDEQ op's reverse loop and the core engine's unrolled adjoint, chained through the normalisation.
     */
    @ParameterizedTest
    @MethodSource("runtimesAndNorms")
    void gradientMatchesCentralDifferences(Strategy strategy, NormConfig norm) {
        ComputationGraph net = DeqNets.net(DeqNets.conf(vertex(strategy, norm), new NoOp()));
        INDArray x = DeqNets.features(3, 4);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        net.setInputs(x);
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        assertEquals(norm.type() == NormConfig.Type.SPECTRAL_NORM ? 1 : 0, deq(net).powerIterationSteps());
        double h = 1e-6;
        int checked = 0;
        for (Map.Entry<String, INDArray> e : deq(net).paramTable(false).entrySet()) {
            INDArray p = e.getValue();
            INDArray g = net.gradient().getGradientFor("deq_" + e.getKey());
            if (deq(net).deqVertex().normalisation().isState(stored(net, e.getKey()))) {
                assertEquals(0.0, g.amaxNumber().doubleValue(), e.getKey());
                continue;
            }
            for (long i = 0; i < p.length(); i += 3) {
                double v = p.getDouble(i);
                p.putScalar(i, v + h);
                double up = net.score(data, false);
                p.putScalar(i, v - h);
                double down = net.score(data, false);
                p.putScalar(i, v);
                // DL4J's score is the batch mean; its raw gradient (before the updater divides) the batch sum
                double fd = x.size(0) * (up - down) / (2 * h);
                assertEquals(fd, g.getDouble(i), 1e-6 * Math.max(1e-2, Math.abs(fd)), e.getKey() + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked > 20, "checked " + checked);
    }

    /**
     * The RevDEQ op path (training forward, reverse loop, normalisation backward) against SameDiff's
     * autodiff of the unrolled reference ({@link UnrolledRevDeq}, every step kept) fed with the same
     * normalisation written as graph ops (u and v as constants): the same z and the same gradient of
     * every stored parameter, to 1e-9.
     */
    @ParameterizedTest
    @MethodSource("norms")
    void opPathMatchesTheUnrolledReference(NormConfig norm) {
        ComputationGraph net = DeqNets.net(DeqNets.conf(vertex(Strategy.REVERSIBLE, norm), new NoOp()));
        INDArray features = DeqNets.features(3, 4);
        net.setInputs(features);
        net.setLabels(DeqNets.labels(features));
        net.computeGradientAndScore();
        DeqGraphVertex v = deq(net);
        INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(8), new long[] {3, DeqNets.HIDDEN});
        INDArray r = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(9), new long[] {3, DeqNets.STATE});
        v.setInputs(new INDArray[] {x});
        INDArray z = v.doForward(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        v.setEpsilon(r);
        Map<String, INDArray> got = v.doBackward(false, LayerWorkspaceMgr.noWorkspaces()).getFirst().gradientForVariable();

        Map<String, INDArray> params = v.paramTable(false);
        SameDiff sd = SameDiff.create();
        List<SDVariable> cellParams = new ArrayList<>();
        for (String w : List.of("W", "U")) {
            if (norm.type() == NormConfig.Type.WEIGHT_NORM) {
                cellParams.add(CellNormalisation.weightNorm(sd, sd.var(w + "V", params.get(w + "V").dup()),
                        sd.var(w + "G", params.get(w + "G").dup()), 2));
            } else {
                SDVariable orig = sd.var(w + "Orig", params.get(w + "Orig").dup());
                SDVariable u = sd.constant(params.get(w + "U").dup().reshape(-1, 1));
                SDVariable vv = sd.constant(params.get(w + "V").dup().reshape(1, -1));
                SDVariable sigma = sd.mmul(sd.mmul(vv, orig), u);
                SDVariable scale = norm.learnScale() ? sd.var(w + "G", params.get(w + "G").dup())
                        : sd.constant(Nd4j.scalar(norm.targetNorm()));
                // a reciprocal, not scale.div(sigma): with a [1, out] numerator and a [1, 1] divisor, M2.1's
                // autodiff gave a different (wrong, by the finite differences above) gradient for σ
                cellParams.add(orig.mul(scale).mul(sd.math().reciprocal(sigma)));
            }
        }
        cellParams.add(sd.var("b", params.get("b").dup()));
        SDVariable out = UnrolledRevDeq.apply(sd, deq(net).deqVertex().cell(), sd.constant("x", x), cellParams, 0.8, 6);
        out.mul(sd.constant(r)).sum().markAsLoss();
        assertTrue(z.equalsWithEps(out.eval(), 1e-12), "z*");
        List<String> wrt = params.keySet().stream().filter(k -> sd.hasVariable(k) && !sd.getVariable(k).isConstant())
                .toList();
        Map<String, INDArray> want = sd.calculateGradients(Map.of(), wrt);
        assertEquals(norm.learnScale() ? 5 : 3, wrt.size(), wrt.toString());
        for (String k : wrt) {
            assertTrue(want.get(k).equalsWithEps(got.get(k), 1e-9), k + ": " + want.get(k) + " vs " + got.get(k));
        }
    }

    static Stream<NormConfig> norms() {
        return Stream.of(SN, SN.withLearnScale(false).withTargetNorm(0.8), WN);
    }

    /** The stored parameter name of a DL4J key. */
    private static String stored(ComputationGraph net, String key) {
        return deq(net).deqVertex().normalisation().parameters().stream().map(p -> p.name())
                .filter(n -> DeqSettings.key(n).equals(key)).findFirst().orElseThrow();
    }

    /**
     * Each fit step advances u and v by exactly one power iteration from their previous values with
     * the weight of that step (not one per solver iteration, not none), and neither Adam nor the weight
     * decay touches them; inference passes leave them alone.
     */
    @Test
    void powerIterationAdvancesOncePerFitStepUntouchedByOptimiserAndDecay() {
        ComputationGraph net = DeqNets.net(decayed(vertex(Strategy.REVERSIBLE, SN)));
        DeqVertex conf = deq(net).deqVertex();
        assertInstanceOf(NoOp.class, conf.getUpdaterByParam("WU"));
        assertTrue(conf.getRegularizationByParam("WU").isEmpty());
        assertFalse(conf.getRegularizationByParam("WOrig").isEmpty(), "the weight itself is decayed");
        INDArray x = DeqNets.features(5, 6);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        Map<String, INDArray> params = deq(net).paramTable(false);
        for (int step = 1; step <= 3; step++) {
            INDArray w = params.get("WOrig").dup();
            INDArray u = params.get("WU").dup().reshape(DeqNets.STATE, 1);
            INDArray v = w.mmul(u);
            v.divi(v.norm2Number());
            INDArray expectedU = w.transpose().mmul(v);
            expectedU.divi(expectedU.norm2Number());
            net.fit(data);
            assertEquals(step, deq(net).powerIterationSteps());
            assertTrue(expectedU.reshape(DeqNets.STATE).equalsWithEps(params.get("WU"), 1e-12), "u after step " + step);
            assertTrue(v.reshape(DeqNets.STATE).equalsWithEps(params.get("WV"), 1e-12), "v after step " + step);
            assertTrue(deq(net).forwardCount() == step && deq(net).lastForwardStats().orElseThrow().cellEvaluations() > 2,
                    "several solver iterations per step");
        }
        INDArray u = params.get("WU").dup();
        net.output(x);
        assertEquals(3, deq(net).powerIterationSteps());
        assertEquals(u, params.get("WU"));
        double sigma = deq(net).sigma("W").orElseThrow();
        assertEquals(params.get("WV").reshape(1, DeqNets.STATE).mmul(params.get("WOrig"))
                .mmul(params.get("WU").reshape(DeqNets.STATE, 1)).getDouble(0), sigma, 1e-12);
        assertTrue(deq(net).sigma("b").isEmpty());
    }

    @Test
    void modelSerializerRoundTripGivesIdenticalOutputsAndState(@TempDir Path dir) throws Exception {
        ComputationGraph net = DeqNets.net(decayed(vertex(Strategy.REVERSIBLE, SN.withPowerIterations(2))));
        INDArray x = DeqNets.features(2, 6);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        net.fit(data);
        net.fit(data);
        File f = dir.resolve("deq.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        ComputationGraph loaded = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(net.getConfiguration(), loaded.getConfiguration());
        assertEquals(SN.withPowerIterations(2), deq(loaded).norm());
        assertEquals(net.params(), loaded.params());
        assertEquals(deq(net).paramTable(false).get("UV"), deq(loaded).paramTable(false).get("UV"));
        assertEquals(net.outputSingle(x), loaded.outputSingle(x));
        net.fit(data);
        loaded.fit(data);
        assertEquals(net.params(), loaded.params());
    }

    @Test
    void jsonHoldsTheNormOnlyWhenThereIsOne() {
        ComputationGraphConfiguration plain = DeqNets.conf(vertex(Strategy.REVERSIBLE, NormConfig.NONE), new NoOp());
        assertFalse(plain.toJson().contains("\"norm\""), "configurations without normalisation keep their old JSON");
        ComputationGraphConfiguration sn = DeqNets.conf(vertex(Strategy.REVERSIBLE, SN.withClip(2.0)), new NoOp());
        String json = sn.toJson();
        assertTrue(json.contains("\"norm_type\" : \"spectral_norm\""), json);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(sn, back);
        assertEquals(SN.withClip(2.0), ((DeqVertex) back.getVertices().get("deq")).norm());
        assertFalse(sn.equals(plain));
    }

    @Test
    void torchdeqMapSetsConfigurationAndNorm() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("f_solver", "fixed_point");
        map.put("f_max_iter", 5);
        map.put("norm_type", "spectral_norm");
        map.put("sn_n_power_iters", 3);
        DeqVertex v = DeqVertex.builder().cell(new TanhTestCell(4, 3, 0.5)).torchdeq(map).build();
        assertEquals(SN.withPowerIterations(3), v.norm());
        assertEquals(5, v.deqConfig().stop().maxSteps());
        map.put("norm_typ", "weight_norm");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> DeqVertex.builder().torchdeq(map));
        assertTrue(e.getMessage().contains("did you mean 'norm_type'"), e.getMessage());
        InvalidConfigException spectralOnly = assertThrows(InvalidConfigException.class,
                () -> DeqVertex.builder().torchdeq(Map.of("norm_type", "weight_norm", "sn_n_power_iters", 2)));
        assertTrue(spectralOnly.getMessage().contains("'sn_n_power_iters' has no effect"), spectralOnly.getMessage());
    }

    @Test
    void layerFormNormalisesToo() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.DOUBLE)
                .updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(DeqNets.IN).nOut(DeqNets.HIDDEN).activation(Activation.TANH).build())
                .layer(DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2))
                        .deq(Strategy.REVERSIBLE.config()).norm(SN).buildLayer())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(DeqNets.STATE)
                        .nOut(DeqNets.CLASSES).activation(Activation.SOFTMAX).build())
                .build();
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DeqLayerImpl layer = (DeqLayerImpl) net.getLayer(1);
        INDArray u = layer.getParam("WU").dup();
        INDArray x = DeqNets.features(4, 5);
        net.fit(new DataSet(x, DeqNets.labels(x)));
        assertEquals(1, layer.powerIterationSteps());
        assertTrue(u.distance2(layer.getParam("WU")) > 0, "u advanced");
        assertEquals(1.0, layer.getParam("WU").norm2Number().doubleValue(), 1e-12, "and was not decayed or updated");
    }
}
