package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicInteger;

import org.deq4j.core.diag.SolveSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The solver columns of the training log: per step from the monitor, per epoch their means and the
 * spectral radius of one probe inference pass; blank for models without DEQs; old ten-column logs still
 * read.
 */
class SolverDiagnosticsTest {

    @TempDir
    Path dir;

    /** A monitor whose step k reports residual k, residual max 2k, steps k+1 and drift k/10; ρ 0.75. */
    private static final class CountingMonitor implements StepStatsSource {
        final AtomicInteger steps = new AtomicInteger();
        final AtomicInteger probes = new AtomicInteger();
        final AtomicInteger probeInferences = new AtomicInteger();

        @Override
        public OptionalDouble cellEvaluationsLastStep() {
            steps.incrementAndGet();
            return OptionalDouble.of(9);
        }

        @Override
        public Optional<SolveSummary> lastStep() {
            int k = steps.get();
            return Optional.of(new SolveSummary(k, 2 * k, k + 1, OptionalDouble.of(k / 10.0)));
        }

        @Override
        public OptionalDouble spectralRadius(Runnable inference, int samples, int iterations) {
            probes.incrementAndGet();
            inference.run();
            probeInferences.incrementAndGet();
            assertEquals(7, iterations);
            return OptionalDouble.of(0.75);
        }
    }

    private TrainerConfig config(Path out, StepStatsSource source, TrainerConfig.SpectralProbe probe) {
        return TrainerConfig.create(out, b -> b.learningRate(1e-2).metric(Accuracy.INSTANCE).maxEpochs(2).plot(true)
                .stepStats(g -> source).spectralProbe(probe)
                .progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), ProgressMode.LINES));
    }

    @Test
    void stepAndEpochColumnsComeFromTheMonitor() throws IOException {
        CountingMonitor monitor = new CountingMonitor();
        Trainer t = Trainer.create(TinyModels.mlp(4, 8, 3, 1e-2, 1e-4, 3),
                config(dir, monitor, new TrainerConfig.SpectralProbe(4, 7)));
        t.fit(Blobs.iterator(48, 4, 3, 16, 11, 5), Blobs.iterator(32, 4, 3, 16, 11, 99)); // 3 steps per epoch
        List<MetricRow> rows = t.metrics().rows();
        List<MetricRow> train = rows.stream().filter(r -> r.kind() == MetricRow.Kind.TRAIN).toList();
        List<MetricRow> eval = rows.stream().filter(r -> r.kind() == MetricRow.Kind.EVAL).toList();
        assertEquals(6, train.size());
        for (int i = 0; i < 6; i++) {
            SolverDiagnostics d = train.get(i).solver();
            int k = i + 1;
            assertEquals(new SolverDiagnostics(k, 2 * k, k + 1, k / 10.0, Double.NaN), d);
        }
        assertEquals(2, monitor.probes.get(), "one probe per epoch");
        assertEquals(2, monitor.probeInferences.get());
        // epoch 1: steps 1, 2, 3; epoch 2: steps 4, 5, 6
        assertDiagnostics(new SolverDiagnostics(2, 6, 3, 0.2, 0.75), eval.get(0).solver());
        assertDiagnostics(new SolverDiagnostics(5, 12, 6, 0.5, 0.75), eval.get(1).solver());

        List<String> csv = Files.readAllLines(dir.resolve(TrainerConfig.CSV_NAME));
        assertTrue(csv.get(0).endsWith(",residual_mean,residual_max,steps_mean,drift,spectral_radius,jac_penalty"),
                csv.get(0));
        String[] lastEval = csv.get(csv.size() - 1).split(",", -1);
        assertEquals("eval", lastEval[0]);
        assertEquals(0.75, Double.parseDouble(lastEval[14]));
        MetricsLog back = MetricsLog.readCsv(Files.newBufferedReader(dir.resolve(TrainerConfig.CSV_NAME)));
        assertEquals(rows.get(rows.size() - 1).solver(), back.rows().get(rows.size() - 1).solver());
    }

    private static void assertDiagnostics(SolverDiagnostics expected, SolverDiagnostics actual) {
        assertEquals(expected.residualMean(), actual.residualMean(), 1e-12);
        assertEquals(expected.residualMax(), actual.residualMax(), 1e-12);
        assertEquals(expected.stepsMean(), actual.stepsMean(), 1e-12);
        assertEquals(expected.drift(), actual.drift(), 1e-12);
        assertEquals(expected.spectralRadius(), actual.spectralRadius(), 1e-12);
    }

    @Test
    void modelsWithoutDeqsLeaveTheColumnsBlankAndTheProbeCanBeOff() throws IOException {
        CountingMonitor monitor = new CountingMonitor();
        Trainer.create(TinyModels.mlp(4, 8, 3, 1e-2, 1e-4, 3), config(dir.resolve("off"), monitor,
                TrainerConfig.SpectralProbe.OFF)).fit(Blobs.iterator(48, 4, 3, 16, 11, 5),
                Blobs.iterator(32, 4, 3, 16, 11, 99));
        assertEquals(0, monitor.probes.get());

        Trainer plain = Trainer.create(TinyModels.mlp(4, 8, 3, 1e-2, 1e-4, 3), config(dir.resolve("plain"),
                StepStatsSource.NONE, TrainerConfig.SpectralProbe.DEFAULT));
        plain.fit(Blobs.iterator(48, 4, 3, 16, 11, 5), Blobs.iterator(32, 4, 3, 16, 11, 99));
        for (MetricRow r : plain.metrics().rows()) {
            assertEquals(SolverDiagnostics.NONE, r.solver());
        }
        String line = Files.readAllLines(dir.resolve("plain").resolve(TrainerConfig.CSV_NAME)).get(1);
        assertTrue(line.endsWith(",,,,,"), line);
    }

    @Test
    void tenColumnLogsOfEarlierVersionsStillRead() throws IOException {
        String old = "kind,step,epoch,loss,lr,accuracy,examples_per_s,cell_evals_per_step,heap_mb,rss_mb\n"
                + "train,1,0,0.5,0.01,,1000.0,12.0,10.000,20.000\n"
                + "eval,1,1,,0.01,0.75,,,10.000,20.000\n";
        MetricsLog log = MetricsLog.readCsv(new BufferedReader(new StringReader(old)));
        assertEquals(2, log.rows().size());
        assertEquals(12.0, log.rows().get(0).cellEvals());
        assertEquals(SolverDiagnostics.NONE, log.rows().get(1).solver());
        StringWriter rewritten = new StringWriter();
        log.writeCsv(rewritten);
        assertTrue(rewritten.toString().startsWith(log.header() + "\n"));
        assertEquals(log.rows(), MetricsLog.readCsv(new BufferedReader(new StringReader(rewritten.toString()))).rows());
    }
}
