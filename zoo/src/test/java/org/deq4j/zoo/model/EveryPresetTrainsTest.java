package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.train.AdamW;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every zoo preset, the paper's included, takes a real training step on the reversible strategy (the
 * RevDEQ op): forward, backward and an AdamW update at batch 2 on input of the preset's shape; the loss
 * is finite and the update changes it.
 */
class EveryPresetTrainsTest {

    static Iterable<String> presets() {
        return ZooPreset.names();
    }

    @ParameterizedTest
    @MethodSource("presets")
    void oneTrainingStepChangesTheLoss(String name) {
        ZooPreset p = ZooPreset.named(name);
        ComputationGraph g = ImplicitResNet.build(AdamW.apply(ImplicitResNet.configuration(p, GradientStrategy.REVERSIBLE,
                3), p.learningRate(), AdamW.DEFAULT_WEIGHT_DECAY));
        INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(5),
                new long[] {2, p.inputChannels(), p.imageSize(), p.imageSize()}).castTo(DataType.FLOAT);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 2, p.classes());
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < 2; i++) {
            y.putScalar(i, rng.nextInt(p.classes()), 1.0);
        }
        DataSet batch = new DataSet(x, y);
        double before = g.score(batch, true);
        g.fit(batch);
        double after = g.score(batch, true);
        assertTrue(Double.isFinite(before) && Double.isFinite(after), name + ": loss " + before + " -> " + after);
        assertNotEquals(before, after, name + ": the update changed nothing");
    }
}
