package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The layer form in a MultiLayerNetwork: JSON, saving, DL4J's gradient check, the core engine's fixed point, fit. */
@ExtendWith(DoublePrecision.class)
class DeqLayerTest {
    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    private static MultiLayerConfiguration conf(DeqConfig config, IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE).updater(updater).list()
                .layer(new DenseLayer.Builder().nOut(DeqNets.HIDDEN).activation(Activation.TANH).build())
                .layer(DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2)).deq(config)
                        .seed(7).buildLayer())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(DeqNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(DeqNets.IN))
                .build();
    }

    private static MultiLayerNetwork net(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void jsonAndModelSerializerRoundTrips(@TempDir Path dir) throws Exception {
        MultiLayerConfiguration conf = conf(Strategy.IMPLICIT.config(), new Adam(1e-2));
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertEquals(conf.toJson(), back.toJson());
        INDArray x = DeqNets.features(31, 6);
        MultiLayerNetwork a = net(conf);
        MultiLayerNetwork b = net(back);
        assertEquals(a.params(), b.params());
        assertEquals(a.output(x), b.output(x));

        a.fit(new DataSet(x, DeqNets.labels(x)));
        File f = dir.resolve("deq-mln.zip").toFile();
        ModelSerializer.writeModel(a, f, true);
        MultiLayerNetwork loaded = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertEquals(a.params(), loaded.params());
        assertEquals(a.output(x), loaded.output(x));
    }

    @Test
    void dropoutAppliesToTheInputInTrainingOnly() {
        DeqLayer deq = DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.IN, 0.2))
                .deq(Strategy.REVERSIBLE.config()).buildLayer();
        deq.setIDropout(new org.deeplearning4j.nn.conf.dropout.Dropout(0.5));
        MultiLayerNetwork net = net(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(deq).layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.feedForward(DeqNets.IN)).build());
        INDArray x = DeqNets.features(34, 3);
        DeqLayerImpl layer = (DeqLayerImpl) net.getLayer(0);
        INDArray inference = layer.activate(x, false, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        var p = layer.paramTable();
        INDArray noDropout = Deq.of(Strategy.REVERSIBLE.config()).solve(new TanhMlpCell(p.get("W").dup(),
                p.get("U").dup(), p.get("b").dup()), x).z().part(0);
        assertTrue(inference.equalsWithEps(noDropout, 1e-12), "no dropout at inference");
        layer.clear();
        INDArray training = layer.activate(x, true, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        INDArray dropped = layer.input();
        assertTrue(dropped.eq(0).castTo(DataType.DOUBLE).sumNumber().doubleValue() > 0, "some inputs dropped");
        INDArray expected = Deq.of(Strategy.REVERSIBLE.config()).solve(new TanhMlpCell(p.get("W").dup(),
                p.get("U").dup(), p.get("b").dup()), dropped).z().part(0);
        assertTrue(training.equalsWithEps(expected, 1e-12), "training solves on the dropped-out input");
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"REVERSIBLE", "IMPLICIT"})
    void dl4jGradientCheckPasses(Strategy strategy) {
        MultiLayerNetwork net = net(conf(strategy.config(), new NoOp()));
        INDArray x = DeqNets.features(32, 4);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x)
                .labels(DeqNets.labels(x)).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), strategy.name());
    }

    @Test
    void outputIsTheCoreFixedPointAndFitLowersTheLoss() {
        DeqConfig config = Strategy.REVERSIBLE.config();
        MultiLayerNetwork net = net(conf(config, new Adam(0.05)));
        INDArray x = DeqNets.features(33, 32);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        DeqStatsListener stats = new DeqStatsListener();
        net.setListeners(stats);
        double before = net.score(data);
        for (int i = 0; i < 30; i++) {
            net.fit(data);
        }
        assertTrue(net.score(data) < 0.7 * before, "loss " + before + " -> " + net.score(data));

        var acts = net.feedForward(x, false);
        var p = net.getLayer(1).paramTable();
        INDArray expected = Deq.of(config).solve(new TanhMlpCell(p.get("W").dup(), p.get("U").dup(), p.get("b").dup()),
                acts.get(1)).z().part(0);
        double err = expected.sub(acts.get(2)).amaxNumber().doubleValue();
        assertTrue(err < 1e-10, "layer output vs core fixed point: " + err);
        DeqLayerImpl layer = (DeqLayerImpl) net.getLayer(1);
        assertEquals(6, layer.lastForwardStats().orElseThrow().maxSteps());
        assertTrue(layer.backwardCount() >= 30);
        assertEquals(30, stats.history().size());
        assertEquals(6.0, stats.meanSteps(layer.deqName()).orElseThrow(), 1e-12);
    }
}
