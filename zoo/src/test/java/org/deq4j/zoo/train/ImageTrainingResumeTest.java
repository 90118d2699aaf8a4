package org.deq4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deq4j.train.Accuracy;
import org.deq4j.train.AdamW;
import org.deq4j.train.MetricRow;
import org.deq4j.train.ProgressMode;
import org.deq4j.train.StopReason;
import org.deq4j.train.Trainer;
import org.deq4j.train.TrainerConfig;
import org.deq4j.train.TrainingResult;
import org.deq4j.zoo.data.ImageDataSetIterator;
import org.deq4j.zoo.data.ImageDataset;
import org.deq4j.zoo.data.QuadrantImages;
import org.deq4j.zoo.data.Normalize;
import org.deq4j.zoo.data.RandomCropFlip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The trainer with the real image iterator (augmentation, prefetch thread, synthetic images): an interrupted run ends where a straight one does. */
class ImageTrainingResumeTest {
    private static final ImageDataset DATA = QuadrantImages.of(128);

    private static ImageDataSetIterator train() {
        return ImageDataSetIterator.builder(DATA).batchSize(32).seed(9).prefetch(2)
                .transform(new RandomCropFlip(1, true).andThen(new Normalize(new double[] {0.4}, new double[] {0.3}))).build();
    }

    private static ComputationGraph model() {
        ComputationGraph g = new ComputationGraph(AdamW.apply(new NeuralNetConfiguration.Builder().seed(4)
                .weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("hidden", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out")
                .build(), 1e-3, 1e-4));
        g.init();
        return g;
    }

    private static TrainerConfig config(Path dir, long steps) {
        Consumer<TrainerConfig.Builder> c = b -> b.learningRate(3e-3).maxSteps(steps).maxEpochs(20).seed(1)
                .metric(Accuracy.INSTANCE).plot(false)
                .progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), ProgressMode.LINES);
        return TrainerConfig.create(dir, c);
    }

    @Test
    void resumedRunMatchesStraightRun(@TempDir Path dir) {
        int total = 14; // 4 batches per epoch: three and a half epochs
        Trainer straight = Trainer.create(model(), config(dir.resolve("straight"), total));
        try (ImageDataSetIterator it = train()) {
            assertEquals(StopReason.STEP_LIMIT, straight.fit(it).reason());
        }
        try (ImageDataSetIterator it = train()) {
            Trainer.create(model(), config(dir.resolve("split"), 6)).fit(it);
        }
        Trainer resumed = Trainer.resume(config(dir.resolve("split"), total));
        TrainingResult result;
        try (ImageDataSetIterator it = train()) {
            result = resumed.fit(it);
        }
        assertEquals(total, result.steps());
        assertEquals(3, result.epochs());
        assertArrayEquals(straight.graph().params().toFloatVector(), resumed.graph().params().toFloatVector());
        List<Double> a = straight.metrics().rows().stream().map(MetricRow::loss).toList();
        List<Double> b = resumed.metrics().rows().stream().map(MetricRow::loss).toList();
        assertEquals(a, b);
        double first = a.subList(0, 4).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = a.subList(10, 14).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < first, first + " -> " + last);
    }
}
