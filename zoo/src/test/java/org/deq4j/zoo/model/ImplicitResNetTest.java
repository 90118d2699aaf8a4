package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Architecture of the zoo networks: parameter counts from the formulas, JSON round trip, shapes. */
class ImplicitResNetTest {

    /** DL4J's BatchNormalization stores 4 vectors per channel: gamma, beta and the running mean and variance. */
    private static long bn(long c) {
        return 4 * c;
    }

    private static long conv(long k, long in, long out) {
        return k * k * in * out;
    }

    /** The paper's cell: conv1 c→w·c, conv2 w·c→c (3x3, no bias), GroupNorm gain and shift for w·c, c, c channels. */
    private static long cell(long c, long w) {
        return conv(3, c, w * c) + conv(3, w * c, c) + 2 * (w * c) + 2 * c + 2 * c;
    }

    /** Expected count of an implicit ResNet, independent of the builder. */
    private static long resNetCount(long in, long[] channels, long[] widths, long classes) {
        long n = conv(3, in, channels[0]) + bn(channels[0]);
        for (int i = 0; i < channels.length; i++) {
            n += cell(channels[i], widths[i]);
            if (i > 0) {
                long a = channels[i - 1];
                long b = channels[i];
                n += bn(a) + conv(3, a, b) + bn(b) + conv(3, b, b) + conv(1, a, b);
            }
        }
        return n + channels[channels.length - 1] * classes + classes;
    }

    private static long countOf(ZooPreset p) {
        ComputationGraph g = new ComputationGraph(ImplicitResNet.configuration(p, GradientStrategy.REVERSIBLE, 1));
        g.init();
        // Vertices' parameters are not in ComputationGraph.numParams() (it sums layers only).
        return g.params().length();
    }

    @Test
    void cifar10PaperHasTheFormulaCountAbout10Point3Million() {
        long expected = resNetCount(3, new long[] {128, 256, 256, 128}, new long[] {1, 3, 3, 1}, 10);
        long got = countOf(ZooPreset.CIFAR10_PAPER);
        assertEquals(expected, got);
        // Without BN running statistics (PyTorch buffers, not parameters): the paper's "about 10.3M".
        long runningStats = 2 * (128 + 128 + 256 + 256 + 256 + 256 + 128);
        long trainable = got - runningStats;
        System.out.println("cifar10-paper: " + got + " DL4J parameters, " + trainable + " trainable");
        assertTrue(trainable > 10_250_000 && trainable < 10_350_000, "trainable " + trainable);
        assertEquals(expected - 10 * 128 - 10 + 100 * 128 + 100, countOf(ZooPreset.CIFAR100_PAPER));
    }

    @Test
    void singleDeqHasAbout25kParameters() {
        // conv3x3(3→32) with bias, GroupNorm(32) gain and shift, cell(32, 1), linear(4·4·32 → 10).
        long expected = conv(3, 3, 32) + 32 + 2 * 32 + cell(32, 1) + 4 * 4 * 32 * 10 + 10;
        long got = countOf(ZooPreset.SINGLE_DEQ);
        assertEquals(expected, got);
        assertTrue(got > 24_000 && got < 26_000, "single-deq " + got);
    }

    @Test
    void fashionPresetsMatchTheirFormula() {
        assertEquals(resNetCount(1, new long[] {16, 32}, new long[] {1, 1}, 10), countOf(ZooPreset.FASHION_CPU));
        assertEquals(resNetCount(1, new long[] {8}, new long[] {1}, 10), countOf(ZooPreset.FASHION_TINY));
    }

    @Test
    void configurationRoundTripsThroughJson() {
        for (ZooPreset p : List.of(ZooPreset.FASHION_TINY, ZooPreset.SINGLE_DEQ)) {
            for (GradientStrategy s : GradientStrategy.values()) {
                ComputationGraphConfiguration conf = ImplicitResNet.configuration(p, s, 5);
                String json = conf.toJson();
                ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
                assertEquals(json, back.toJson(), p.name() + " " + s);
                assertEquals(conf, back, p.name() + " " + s);
                DeqVertex v = (DeqVertex) back.getVertices().get("deq1");
                assertEquals(s.config(p.stages().get(0).steps(), p.beta(), p.tol()), v.deqConfig());
            }
        }
    }

    @Test
    void networksFromJsonComputeTheSameOutputs() {
        ZooPreset p = ZooPreset.SINGLE_DEQ;
        ComputationGraphConfiguration conf = ImplicitResNet.configuration(p, GradientStrategy.REVERSIBLE, 5);
        ComputationGraph a = new ComputationGraph(conf);
        a.init();
        ComputationGraph b = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf.toJson()));
        b.init(a.params().dup(), false);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32);
        INDArray ya = a.outputSingle(x);
        assertArrayEquals(new long[] {2, 10}, ya.shape());
        assertEquals(ya, b.outputSingle(x));
    }

    @Test
    void resolutionHalvesBetweenStages() {
        ComputationGraph g = ImplicitResNet.build(ZooPreset.FASHION_CPU, GradientStrategy.REVERSIBLE, 1);
        var acts = g.feedForward(Nd4j.rand(DataType.FLOAT, 2, 1, 28, 28), false);
        assertArrayEquals(new long[] {2, 16, 14, 14}, acts.get("stage1").shape());
        assertArrayEquals(new long[] {2, 32, 7, 7}, acts.get("stage2").shape());
        assertArrayEquals(new long[] {2, 10}, acts.get(ImplicitResNet.OUTPUT).shape());
        assertEquals(2, ImplicitResNet.deqVertices(g).size());
    }

    @Test
    void presetsAreFoundByNameAndBadOnesRejected() {
        assertEquals(ZooPreset.CIFAR10_PAPER, ZooPreset.named("cifar10-paper"));
        assertEquals("fashion-cpu", ZooPreset.names().get(0));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ZooPreset.named("resnet"));
        assertTrue(e.getMessage().contains("fashion-cpu"), e.getMessage());
        assertThrows(InvalidConfigException.class, () -> GradientStrategy.parse("adjoint"));
        assertEquals(GradientStrategy.PHANTOM, GradientStrategy.parse("Phantom"));
    }
}
