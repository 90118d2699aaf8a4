package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.train.Accuracy;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.Evaluator;
import org.deq4j.train.MetricRow;
import org.deq4j.train.MetricsLog;
import org.deq4j.zoo.data.DataSplits;
import org.deq4j.zoo.data.ImageDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped pretrained model ({@code zoo/pretrained/fashion-cpu}) reproduces the test accuracy its
 * training run recorded (the last evaluation row of its metrics.csv) on the embedded test images.
 * A golden regression test (tag {@code golden}, part of the default suite and of CI): it compares with
 * delta 0, so any change in the model's arithmetic shows, and so can a different native library.
 */
@Tag("golden")
class PretrainedFashionCpuTest {
    private static final Path DIR = Path.of("pretrained", "fashion-cpu");

    @Test
    void reproducesRecordedTestAccuracy() throws Exception {
        MetricsLog log;
        try (BufferedReader in = Files.newBufferedReader(DIR.resolve("metrics.csv"), StandardCharsets.UTF_8)) {
            log = MetricsLog.readCsv(in);
        }
        List<MetricRow> evals = log.rows().stream().filter(r -> r.kind() == MetricRow.Kind.EVAL).toList();
        double recorded = evals.get(evals.size() - 1).metric();
        Checkpoint checkpoint = Checkpoint.read(DIR.resolve(Checkpoint.FILE_NAME));
        assertEquals("fashion-cpu", checkpoint.settings().get("preset"), "the run settings travel in the checkpoint");
        ComputationGraph graph = checkpoint.graph();
        DataSplits data = ZooData.load("fashion-mnist", Optional.empty());
        double accuracy;
        try (ImageDataSetIterator test = ZooData.evaluation("fashion-mnist", data.test())) {
            accuracy = Evaluator.evaluate(graph, test, Accuracy.INSTANCE);
        }
        assertEquals(recorded, accuracy, 0.0, "golden value from the shipped run: the evaluation's arithmetic changed"
                + " (or the ND4J native library did, which may move the last digit; then re-record it)");
        assertTrue(accuracy > 0.5, "a trained model, not chance (0.1): " + accuracy);
    }
}
