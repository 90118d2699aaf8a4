package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.train.Accuracy;
import org.deq4j.train.AdamW;
import org.deq4j.train.MetricRow;
import org.deq4j.train.ProgressMode;
import org.deq4j.train.Trainer;
import org.deq4j.train.TrainerConfig;
import org.deq4j.zoo.data.ImageDataSetIterator;
import org.deq4j.zoo.data.QuadrantImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.dataset.DataSet;

/** Training the zoo networks: every gradient strategy learns, and an interrupted run resumes exactly. */
class ZooTrainingTest {
    /** A tiny implicit ResNet on 1x8x8 images: one 4-channel stage, 2 solver steps. */
    private static final ZooPreset TINY = new ZooPreset("test-tiny", ZooPreset.Architecture.IMPLICIT_RESNET, 1, 8, 1,
            4, List.of(new ZooPreset.Stage(4, 1, 2)), 0.8, 1e-6, 1e-2, 1, "fashion-mnist");

    /** The tiny network with AdamW (learning rate 1e-2, weight decay {@code wd}). */
    private static ComputationGraph model(GradientStrategy strategy, double wd) {
        return ImplicitResNet.build(AdamW.apply(ImplicitResNet.configuration(TINY, strategy, 3), 1e-2, wd));
    }

    private static double loss(ComputationGraph g, List<DataSet> batches) {
        return batches.stream().mapToDouble(b -> g.score(b, false)).average().orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(GradientStrategy.class)
    void twoBatchTrainingLowersTheLoss(GradientStrategy strategy) {
        ComputationGraph g = model(strategy, 0);
        List<DataSet> batches;
        try (ImageDataSetIterator it = ImageDataSetIterator.builder(QuadrantImages.of(32)).batchSize(16).shuffle(false)
                .prefetch(0).build()) {
            batches = List.of(it.next(), it.next());
        }
        double before = loss(g, batches);
        for (int epoch = 0; epoch < 5; epoch++) {
            batches.forEach(g::fit);
        }
        double after = loss(g, batches);
        assertTrue(after < 0.95 * before, strategy + ": loss " + before + " -> " + after);
        assertTrue(DeqStatsSource.lastStepCellEvaluations(g).get().orElseThrow() > 0);
    }

    private static TrainerConfig config(Path dir, long steps) {
        return TrainerConfig.create(dir, b -> b.learningRate(1e-2).maxSteps(steps).maxEpochs(10).seed(1)
                .metric(Accuracy.INSTANCE).plot(false)
                .progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), ProgressMode.LINES));
    }

    private static ImageDataSetIterator train() {
        return ZooData.training("fashion-mnist", QuadrantImages.of(48), 16, 9);
    }

    @Test
    void resumedRunMatchesStraightRun(@TempDir Path dir) {
        int total = 7; // 3 batches per epoch: resume inside the second epoch
        Trainer straight = Trainer.create(model(GradientStrategy.REVERSIBLE, 1e-4), config(dir.resolve("straight"), total));
        try (ImageDataSetIterator it = train()) {
            straight.fit(it);
        }
        try (ImageDataSetIterator it = train()) {
            Trainer.create(model(GradientStrategy.REVERSIBLE, 1e-4), config(dir.resolve("split"), 4)).fit(it);
        }
        Trainer resumed = Trainer.resume(config(dir.resolve("split"), total));
        try (ImageDataSetIterator it = train()) {
            assertEquals(total, resumed.fit(it).steps());
        }
        assertArrayEquals(straight.graph().params().toFloatVector(), resumed.graph().params().toFloatVector());
        assertEquals(straight.metrics().rows().stream().map(MetricRow::loss).toList(),
                resumed.metrics().rows().stream().map(MetricRow::loss).toList());
    }
}
