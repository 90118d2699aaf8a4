package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.deq4j.train.Checkpoint;
import org.deq4j.train.MetricRow;
import org.deq4j.train.TrainingPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * {@code deq4j sweep} end to end on a 2 x 2 grid (gradient x solver steps) of the tiny preset on the embedded
 * Fashion-MNIST, 3 steps per cell: a cell killed after a checkpoint and a cell stopped by Ctrl-C are resumed,
 * the others started; a rerun skips every cell; changed values are refused; the results table holds every
 * cell. The sweep file's own mistakes are named without training.
 */
class SweepCommandTest {
    private static final String SWEEP = """
            command: train
            base:
              preset: fashion-tiny
              batch-size: 8
              max-steps: 3
              seed: 3
              progress: off
            axes:
              gradient: [reversible, unrolled]
              solver-steps: [1, 2]
            """;

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void runsResumesAndSkipsTheCells() throws IOException {
        Path sweep = file("grid.sweep.yaml", SWEEP);
        Path out = dir.resolve("out");
        // What a sweep killed in its second cell leaves: the cell's values, a checkpoint after step 1 and
        // no results file (written only when a run ends).
        Path killed = out.resolve("gradient-reversible_solver-steps-2");
        Map<String, String> values = new LinkedHashMap<>(Map.of("preset", "fashion-tiny", "batch-size", "8",
                "max-steps", "3", "seed", "3", "progress", "off", "gradient", "reversible", "solver-steps", "2"));
        CliRun first = CliRun.of("train", "--out", killed.toString(), "--preset", "fashion-tiny", "--batch-size", "8",
                "--max-steps", "1", "--seed", "3", "--progress", "off", "--gradient", "reversible", "--solver-steps", "2");
        assertEquals(0, first.exit(), first.err());
        Files.delete(killed.resolve(TrainCommand.RESULTS_NAME));
        Files.writeString(killed.resolve(SweepCommand.CELL_FILE), YamlFile.toYaml(values));

        CliRun run = CliRun.of("sweep", sweep.toString(), "--out", out.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("[2/4] gradient=reversible, solver-steps=2: resuming (interrupted)"), run.out());
        assertEquals(3, count(run.out(), ": starting"), run.out());
        assertTrue(run.out().contains("4 of 4 cells done"), run.out());
        assertEquals(List.of(1L, 2L, 3L), trainSteps(killed), "resumed after step 1, each step once");

        List<String> csv = Files.readAllLines(out.resolve(SweepReport.CSV));
        assertEquals("cell,gradient,solver-steps,status,steps,epochs,final_loss,test_accuracy,cell_evals_per_step,"
                + "train_seconds,examples_per_second,folder", csv.get(0));
        assertEquals(5, csv.size(), csv.toString());
        double[] evals = new double[4];
        for (int i = 1; i <= 4; i++) {
            String[] c = csv.get(i).split(",", -1);
            assertEquals(List.of(Integer.toString(i), "done", "3"), List.of(c[0], c[3], c[4]), csv.get(i));
            assertTrue(Double.isFinite(Double.parseDouble(c[6])) && Double.parseDouble(c[9]) > 0, csv.get(i));
            evals[i - 1] = Double.parseDouble(c[8]);
        }
        // the solver-steps axis reached the models: more steps, more cell evaluations per training step
        assertTrue(evals[1] > evals[0] && evals[3] > evals[2], Arrays.toString(evals));
        String md = Files.readString(out.resolve(SweepReport.MARKDOWN));
        assertTrue(md.contains("| # | gradient | solver-steps | status |") && md.contains("| 4 | unrolled | 2 | done |"),
                md);
        BufferedImage png = ImageIO.read(out.resolve(SweepReport.PLOT).toFile());
        assertEquals(TrainingPlot.COMPARISON_WIDTH, png.getWidth());

        // Ctrl-C in the first cell would have left a results file saying so: the next sweep resumes it
        Path stopped = out.resolve("gradient-reversible_solver-steps-1");
        Path results = stopped.resolve(TrainCommand.RESULTS_NAME);
        Files.writeString(results, Files.readString(results).replace("STEP_LIMIT", "STOP_REQUESTED"));
        byte[] untouched = Files.readAllBytes(Checkpoint.fileIn(out.resolve("gradient-unrolled_solver-steps-2")));
        CliRun again = CliRun.of("sweep", sweep.toString(), "--out", out.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("[1/4] gradient=reversible, solver-steps=1: resuming (stopped)"), again.out());
        assertEquals(3, count(again.out(), "done, skipped"), again.out());
        assertTrue(Files.readString(results).contains("STEP_LIMIT"), "the resumed cell ended by its own limit");
        assertArrayEquals(untouched, Files.readAllBytes(Checkpoint.fileIn(out.resolve("gradient-unrolled_solver-steps-2"))),
                "a done cell is not touched");

        Path longer = file("grid.sweep.yaml", SWEEP.replace("max-steps: 3", "max-steps: 4"));
        CliRun changed = CliRun.of("sweep", longer.toString(), "--out", out.toString());
        assertEquals(2, changed.exit());
        assertTrue(changed.err().contains("was started with") && changed.err().contains("another --out"), changed.err());
        file("grid.sweep.yaml", SWEEP);
        CliRun reseeded = CliRun.of("sweep", sweep.toString(), "--out", out.toString(), "--set", "seed=4");
        assertEquals(2, reseeded.exit());
        assertTrue(reseeded.err().contains("seed=4"), "--set changes every cell's values: " + reseeded.err());
    }

    @Test
    void theSweepFilesMistakesAreNamedWithoutTraining() throws IOException {
        assertUsageError(SWEEP.replace("axes:", "axis:"), "unknown key 'axis'", "did you mean 'axes'?");
        assertUsageError(SWEEP.replace("  gradient: [", "  gradients: ["), "unknown key 'axes.gradients'",
                "did you mean 'gradient'?");
        assertUsageError(SWEEP.replace("  seed: 3", "  out: somewhere"), "'base.out' cannot be set here");
        assertUsageError(SWEEP.replace("command: train", "command: eval"), "a sweep runs train or lm train, not 'eval'");
        assertUsageError(SWEEP.replace("[1, 2]", "[1, 1]"), "axis 'solver-steps' lists '1' twice");
        assertUsageError(SWEEP.replace("[1, 2]", "[]"), "axis 'solver-steps' must be a non-empty list");
        assertUsageError(SWEEP.replace("[reversible, unrolled]", "[\"a b\", a-b]"), "share the folder");
        assertUsageError(SWEEP.replace("command: train\n", "command: train\nrun: missing.yaml\n"), "does not exist");
        CliRun set = CliRun.of("sweep", file("s.yaml", SWEEP).toString(), "--set", "gradient=implicit", "--dry-run");
        assertEquals(2, set.exit());
        assertTrue(set.err().contains("'gradient' is an axis"), set.err());
    }

    /** SIGTERM (as Ctrl-C) in a child JVM stops the running cell with a checkpoint and ends the sweep there. */
    @Test
    void aSignalStopsTheCellAndTheSweep() throws Exception {
        Path sweep = file("long.sweep.yaml", SWEEP.replace("max-steps: 3", "max-steps: 100000\n  checkpoint-every: 2"));
        Path out = dir.resolve("out");
        Path first = out.resolve("gradient-reversible_solver-steps-1");
        Path log = dir.resolve("child.log");
        Process p = ChildJvm.start(log, "sweep", sweep.toString(), "--out", out.toString());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!hasCheckpoint(first)) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, () -> "no checkpoint: " + ChildJvm.read(log));
            Thread.sleep(200);
        }
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), ChildJvm.read(log));
        String text = ChildJvm.read(log);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("sweep stopped at cell 1 of 4; run the same command again to resume it"), text);
        List<String> csv = Files.readAllLines(out.resolve(SweepReport.CSV));
        assertEquals(List.of("stopped", "pending", "pending", "pending"),
                csv.subList(1, 5).stream().map(l -> l.split(",", -1)[3]).toList(), csv.toString());
        assertTrue(!Files.exists(out.resolve("gradient-reversible_solver-steps-2")), "no later cell started");
    }

    private static boolean hasCheckpoint(Path run) {
        try {
            return Files.exists(Checkpoint.fileIn(run)) && Checkpoint.readState(Checkpoint.fileIn(run)).step() >= 2;
        } catch (RuntimeException racingRename) {
            return false; // read between the writer's rename and our open
        }
    }

    /** A language-model cell's row, read from the shipped austen-micro run's files (no training). */
    @Test
    void aLanguageModelCellIsReadFromItsFiles() throws IOException {
        Path run = Path.of("..", "lm", "pretrained", "austen-micro");
        SweepCell cell = new SweepCell(1, Map.of("gradient", "reversible"), Map.of("gradient", "reversible"));
        SweepResult r = SweepResult.inspect(cell, run, SweepTarget.LM_TRAIN, false);
        assertEquals(SweepResult.Status.DONE, r.status());
        double perplexity = new ObjectMapper().readTree(run.resolve(LmRuns.RESULTS_NAME).toFile())
                .get("validation").get("perplexity").asDouble();
        assertEquals(perplexity, r.evaluation().getAsDouble());
        assertEquals(Checkpoint.readState(Checkpoint.fileIn(run)).step(), r.steps().getAsLong());
        assertTrue(r.finalLoss().getAsDouble() > 0 && r.throughput().getAsDouble() > 0);

        SweepFile sweep = new SweepFile(dir.resolve("lm.sweep.yaml"), SweepTarget.LM_TRAIN, Map.of(),
                Map.of("gradient", List.of("reversible")));
        SweepReport.write(dir, sweep, List.of(r));
        List<String> csv = Files.readAllLines(dir.resolve(SweepReport.CSV));
        assertTrue(csv.get(0).contains(",validation_perplexity,") && csv.get(0).contains(",tokens_per_second,"),
                csv.get(0));
        assertTrue(csv.get(1).contains("," + perplexity + ","), csv.get(1));
    }

    private void assertUsageError(String sweep, String... fragments) throws IOException {
        CliRun r = CliRun.of("sweep", file("bad.sweep.yaml", sweep).toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, r.exit(), r.out() + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "missing '" + f + "' in: " + r.err());
        }
        assertTrue(!Files.exists(dir.resolve("x")), "nothing written");
    }

    private static List<Long> trainSteps(Path run) {
        return Checkpoint.read(Checkpoint.fileIn(run)).metrics().rows().stream()
                .filter(r -> r.kind() == MetricRow.Kind.TRAIN).map(MetricRow::step).toList();
    }

    private static int count(String text, String fragment) {
        return text.split(Pattern.quote(fragment), -1).length - 1;
    }
}
