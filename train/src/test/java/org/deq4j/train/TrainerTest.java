package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.NoOp;

class TrainerTest {
    private static final int N = 96;
    private static final int BATCH = 16; // 6 steps per epoch

    @TempDir
    Path dir;

    private static EpochIterator data() {
        return Blobs.iterator(N, 4, 3, BATCH, 11, 5);
    }

    private static EpochIterator evalData() {
        return Blobs.iterator(48, 4, 3, BATCH, 11, 99); // same blobs (data seed), other order
    }

    private static ComputationGraph model() {
        return TinyModels.mlp(4, 8, 3, 1e-2, 1e-4, 3);
    }

    private static TrainerConfig config(Path out, Consumer<TrainerConfig.Builder> more) {
        return TrainerConfig.create(out, b -> {
            b.learningRate(1e-2).metric(Accuracy.INSTANCE).metricEvery(3).progress(
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), ProgressMode.LINES);
            more.accept(b);
        });
    }

    /** Mean cross-entropy of the graph's output on a batch, computed here from the probabilities. */
    private static double crossEntropy(ComputationGraph graph, DataSet batch) {
        INDArray out = graph.outputSingle(false, batch.getFeatures());
        double[][] p = out.toDoubleMatrix();
        double[][] y = batch.getLabels().toDoubleMatrix();
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            for (int k = 0; k < p[i].length; k++) {
                sum -= y[i][k] * Math.log(p[i][k]);
            }
        }
        return sum / p.length;
    }

    private static double accuracy(ComputationGraph graph, EpochIterator data) {
        int correct = 0;
        int total = 0;
        data.reset();
        while (data.hasNext()) {
            DataSet b = data.next();
            double[][] p = graph.outputSingle(false, b.getFeatures()).toDoubleMatrix();
            double[][] y = b.getLabels().toDoubleMatrix();
            for (int i = 0; i < p.length; i++) {
                correct += argmax(p[i]) == argmax(y[i]) ? 1 : 0;
                total++;
            }
        }
        return (double) correct / total;
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void lossDecreasesAndLogsAreConsistent() throws IOException {
        ComputationGraph graph = model();
        DataSet first = data().next();
        double initialLoss = crossEntropy(graph, first);
        Trainer trainer = Trainer.create(graph, config(dir, b -> b.maxEpochs(6)));
        TrainingResult result = trainer.fit(data(), evalData());

        assertEquals(StopReason.EPOCHS_DONE, result.reason());
        assertEquals(36, result.steps());
        assertEquals(6, result.epochs());
        List<MetricRow> train = trainer.metrics().rows().stream().filter(r -> r.kind() == MetricRow.Kind.TRAIN).toList();
        List<MetricRow> eval = trainer.metrics().rows().stream().filter(r -> r.kind() == MetricRow.Kind.EVAL).toList();
        assertEquals(36, train.size());
        assertEquals(6, eval.size());
        // the logged loss is the data loss (weight decay excluded), before the step's update
        assertEquals(initialLoss, train.get(0).loss(), 1e-10);
        double firstEpoch = train.subList(0, 6).stream().mapToDouble(MetricRow::loss).average().orElseThrow();
        double lastEpoch = train.subList(30, 36).stream().mapToDouble(MetricRow::loss).average().orElseThrow();
        assertTrue(lastEpoch < 0.5 * firstEpoch, firstEpoch + " -> " + lastEpoch);
        // evaluation metric equals accuracy computed here with the final model
        assertEquals(accuracy(graph, evalData()), eval.get(5).metric(), 1e-12);
        assertEquals(result.lastEvaluation(), OptionalDouble.of(eval.get(5).metric()));
        assertTrue(eval.get(5).metric() > 0.8, "accuracy " + eval.get(5).metric());
        // the metric is measured on every 3rd step only
        for (MetricRow r : train) {
            assertEquals((r.step() - 1) % 3 == 0, !Double.isNaN(r.metric()), "step " + r.step());
            assertTrue(r.throughput() > 0 && r.heapBytes() > 0 && r.rssBytes() > r.heapBytes() / 4);
            assertEquals(1e-2, r.lr());
        }

        List<String> csv = Files.readAllLines(dir.resolve(TrainerConfig.CSV_NAME));
        assertEquals("kind,step,epoch,loss,lr,accuracy,examples_per_s,cell_evals_per_step,heap_mb,rss_mb,"
                + "residual_mean,residual_max,steps_mean,drift,spectral_radius,jac_penalty", csv.get(0));
        assertEquals(1 + 36 + 6, csv.size());
        String[] row1 = csv.get(1).split(",", -1);
        assertEquals("train", row1[0]);
        assertEquals("1", row1[1]);
        assertEquals("0", row1[2]);
        assertEquals(initialLoss, Double.parseDouble(row1[3]), 1e-10);
        assertEquals("", row1[7]); // no step statistics source
        String[] evalRow = csv.get(1 + 6).split(",", -1);
        assertEquals("eval", evalRow[0]);
        assertEquals("6", evalRow[1]);
        assertEquals("1", evalRow[2]);
        assertEquals("", evalRow[3]);

        BufferedImage png = ImageIO.read(dir.resolve(TrainerConfig.PLOT_NAME).toFile());
        assertEquals(TrainingPlot.WIDTH, png.getWidth());
        assertEquals(TrainingPlot.HEIGHT, png.getHeight());
        int[] counts = new int[TrainingPlot.PANELS]; // loss-mean blue, evaluation orange, per panel
        for (int y = 0; y < png.getHeight(); y++) {
            for (int x = 0; x < png.getWidth(); x++) {
                int rgb = png.getRGB(x, y) & 0xFFFFFF;
                if (rgb == 0x143C96) {
                    counts[x * TrainingPlot.PANELS / png.getWidth()]++;
                } else if (rgb == 0xDC6414 && x * TrainingPlot.PANELS / png.getWidth() == 1) {
                    counts[1]++;
                }
            }
        }
        assertTrue(counts[0] > 200 && counts[1] > 50 && counts[2] > 200, java.util.Arrays.toString(counts));
        assertTrue(Files.exists(Checkpoint.fileIn(dir)));
    }

    @Test
    void resumedRunEqualsUninterruptedRun(@TempDir Path other) {
        // small plateau window and patience so the learning rate changes during the run
        Consumer<TrainerConfig.Builder> common = b -> b.maxEpochs(10).seed(42).plot(false)
                .plateau(new ReduceOnPlateau.Settings(2, 1, 0.5, 1e-6, 0.2));
        int total = 23;
        Trainer straight = Trainer.create(model(), config(dir, common.andThen(b -> b.maxSteps(total))));
        straight.fit(data(), evalData());

        for (int k : new int[] {6, 10}) { // at an epoch boundary and inside an epoch
            Path run = other.resolve("k" + k);
            TrainingResult part = Trainer.create(model(), config(run, common.andThen(b -> b.maxSteps(k))))
                    .fit(data(), evalData());
            assertEquals(StopReason.STEP_LIMIT, part.reason());
            assertEquals(k, part.steps());
            // "new process": nothing but the output directory is shared with the first part
            Trainer resumed = Trainer.resume(config(run, common.andThen(b -> b.maxSteps(total))));
            TrainingResult rest = resumed.fit(data(), evalData());
            assertEquals(total, rest.steps());

            assertArrayEquals(straight.graph().params().toDoubleVector(), resumed.graph().params().toDoubleVector(),
                    "parameters after resuming at step " + k);
            assertArrayEquals(straight.graph().getUpdater().getStateViewArray().toDoubleVector(),
                    resumed.graph().getUpdater().getStateViewArray().toDoubleVector());
            assertEquals(straight.metrics().rows().stream().map(r -> List.of(r.kind(), r.step(), r.loss(), r.lr(), r.metric())).toList(),
                    resumed.metrics().rows().stream().map(r -> List.of(r.kind(), r.step(), r.loss(), r.lr(), r.metric())).toList());
            assertTrue(resumed.metrics().rows().stream().mapToDouble(MetricRow::lr).min().orElseThrow() < 1e-2,
                    "the plateau rule should have reduced the learning rate");
        }
    }

    /**
     * A stop request (Ctrl-C on the command line) ends the run after the step in progress with a
     * checkpoint, and the run resumed from it ends where an uninterrupted one does, bit for bit.
     */
    @Test
    void aStopRequestCheckpointsAndTheRunResumesExactly(@TempDir Path other) {
        Consumer<TrainerConfig.Builder> common = b -> b.maxEpochs(10).seed(7).plot(false);
        Trainer straight = Trainer.create(model(), config(other.resolve("straight"), common.andThen(b -> b.maxSteps(9))));
        straight.fit(data(), evalData());

        Path run = other.resolve("stopped");
        Trainer[] self = new Trainer[1];
        // the statistics source is queried after every step: a convenient place to "press Ctrl-C" at step 5
        Trainer stopped = Trainer.create(model(), config(run, common.andThen(b -> b.maxSteps(9).stepStats(g -> () -> {
            if (self[0].step() == 5) {
                self[0].requestStop();
            }
            return OptionalDouble.empty();
        }))));
        self[0] = stopped;
        TrainingResult part = stopped.fit(data(), evalData());
        assertEquals(StopReason.STOP_REQUESTED, part.reason());
        assertEquals(5, part.steps());
        assertEquals(5, Checkpoint.read(Checkpoint.fileIn(run)).state().step());

        Trainer resumed = Trainer.resume(config(run, common.andThen(b -> b.maxSteps(9))));
        assertEquals(9, resumed.fit(data(), evalData()).steps());
        assertArrayEquals(straight.graph().params().toDoubleVector(), resumed.graph().params().toDoubleVector());
    }

    /** Periodic checkpoints land inside an epoch, every N steps. */
    @Test
    void checkpointsEveryNSteps() {
        long[] seen = new long[8];
        Trainer[] self = new Trainer[1];
        Trainer t = Trainer.create(model(), config(dir, b -> b.maxSteps(7).checkpointEvery(CheckpointInterval.steps(3))
                .stepStats(g -> () -> {
                    long step = self[0].step();
                    seen[(int) step] = Files.exists(Checkpoint.fileIn(dir))
                            ? Checkpoint.read(Checkpoint.fileIn(dir)).state().step() : -1;
                    return OptionalDouble.empty();
                })));
        self[0] = t;
        t.fit(data());
        // stats are read after each step and before that step's periodic checkpoint
        assertArrayEquals(new long[] {0, -1, -1, -1, 3, 3, 3, 6}, seen);
        assertEquals(7, Checkpoint.read(Checkpoint.fileIn(dir)).state().step());
    }

    @Test
    void stopsWhenTheScaleReachesTheFloor() {
        // window 1, patience 1, rtol 0.999: only the first step improves, every later one halves the scale;
        // 2^-10 <= 1e-3 after ten halvings, i.e. after step 11
        Trainer trainer = Trainer.create(model(), config(dir, b -> b.plateau(new ReduceOnPlateau.Settings(1, 1, 0.5, 1e-3, 0.999))));
        TrainingResult result = trainer.fit(data());
        assertEquals(StopReason.LEARNING_RATE_FLOOR, result.reason());
        assertEquals(11, result.steps());
        List<MetricRow> rows = trainer.metrics().rows();
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(1e-2 * Math.pow(0.5, Math.max(0, i - 1)), rows.get(i).lr(), 1e-18, "lr of step " + (i + 1));
        }
        assertEquals(1e-2 * Math.pow(0.5, 10), result.learningRate(), 1e-18);
    }

    @Test
    void timeBudgetStopsAndCheckpoints() {
        Trainer trainer = Trainer.create(model(), config(dir, b -> b.timeBudget(Duration.ofNanos(1))));
        TrainingResult result = trainer.fit(data());
        assertEquals(StopReason.TIME_BUDGET, result.reason());
        assertEquals(0, result.steps());
        assertTrue(Files.exists(result.checkpoint()));
        TrainingResult more = Trainer.resume(config(dir, b -> b.maxSteps(4))).fit(data());
        assertEquals(StopReason.STEP_LIMIT, more.reason());
        assertEquals(4, more.steps());
    }

    /** The run settings travel in every checkpoint, and a resume with other settings is refused. */
    @Test
    void runSettingsAreKeptAndChecked() {
        Map<String, String> settings = Map.of("preset", "blobs", "seed", "1");
        Trainer.create(model(), config(dir, b -> b.maxSteps(1).runSettings(settings))).fit(data());
        assertEquals(settings, Checkpoint.readSettings(Checkpoint.fileIn(dir)));
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> Trainer.resume(config(dir, b -> b.runSettings(Map.of("preset", "blobs", "seed", "2")))));
        assertTrue(e.getMessage().contains("seed=1") && e.getMessage().contains("seed=2"), e.getMessage());
        assertEquals(1, Trainer.resume(config(dir, b -> b.runSettings(settings))).step());
    }

    @Test
    void refusesToOverwriteAnExistingRunAndNeedsAMetricForEvaluation() {
        Trainer.create(model(), config(dir, b -> b.maxSteps(1))).fit(data());
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Trainer.create(model(), config(dir, b -> { })));
        assertTrue(e.getMessage().contains(Checkpoint.FILE_NAME), e.getMessage());
        Metric perplexity = new Metric() {
            @Override
            public String name() {
                return "perplexity";
            }

            @Override
            public Accumulator start() {
                throw new UnsupportedOperationException();
            }
        };
        InvalidConfigException m = assertThrows(InvalidConfigException.class,
                () -> Trainer.resume(config(dir, b -> b.metric(perplexity))));
        assertTrue(m.getMessage().contains("'accuracy'") && m.getMessage().contains("'perplexity'"), m.getMessage());
        Trainer noMetric = Trainer.create(model(), TrainerConfig.create(dir.resolve("x"), b -> b.progress(System.out, ProgressMode.OFF)));
        assertThrows(InvalidConfigException.class, () -> noMetric.fit(data(), evalData()));
    }

    /** An architecture without an optimiser (NoOp, as the model builders make them) would train to nothing. */
    @Test
    void refusesAGraphWithoutOptimiser() {
        ComputationGraph noOptimiser = TinyModels.graph(TinyModels.mlpConfiguration(TinyModels.global(3).updater(new NoOp()),
                4, 8, 3));
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> Trainer.create(noOptimiser, config(dir, b -> { })));
        assertTrue(e.getMessage().contains("AdamW.apply"), e.getMessage());
    }

    @Test
    void reportsProgressAndStepStatistics() {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        StepStatsSource stats = () -> OptionalDouble.of(7.5);
        Trainer.create(model(), config(dir.resolve("lines"), b -> b.maxSteps(3).stepStats(g -> stats)
                .progress(new PrintStream(lines, true, StandardCharsets.UTF_8), ProgressMode.LINES)
                .progressInterval(Duration.ofNanos(1)))).fit(data());
        Trainer t = Trainer.create(model(), config(dir.resolve("tty"), b -> b.maxSteps(3).stepStats(g -> stats)
                .progress(new PrintStream(terminal, true, StandardCharsets.UTF_8), ProgressMode.TERMINAL)));
        t.fit(data());
        String l = lines.toString(StandardCharsets.UTF_8);
        assertEquals(4, l.lines().count(), l); // three steps and the final message
        assertTrue(l.contains("epoch 1 step 2 [") && l.contains("loss ") && l.contains("examples/s")
                && l.contains("evals/step 7.5") && l.contains(" rss "), l);
        assertFalse(l.contains("\r"));
        String tty = terminal.toString(StandardCharsets.UTF_8);
        assertTrue(tty.startsWith("\repoch 1 step 1"), tty);
        assertEquals(7.5, t.metrics().rows().get(2).cellEvals());
    }
}
