package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.deq4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * Fault proofs of {@code deq4j train} and {@code deq4j lm train} in a child JVM: SIGTERM stops cleanly with
 * a checkpoint, a failing checkpoint write (a full disk) keeps the last good one, and a run killed with SIGKILL resumes from its last periodic checkpoint to the same
 * parameters and metrics as a run that was never interrupted, bit for bit.
 */
class InterruptedTrainingTest {
    private static final int STEPS = 40;
    private static final List<String> VISION = List.of("train", "--preset", "fashion-tiny", "--batch-size", "16",
            "--seed", "5", "--progress", "lines");
    private static final List<String> LM = List.of("lm", "train", "--batch-size", "8", "--seed", "5",
            "--time-budget", "0", "--eval-windows", "2", "--progress", "lines");

    private static String[] args(List<String> base, Path out, String... more) {
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of("--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** Waits until the run's checkpoint exists and has at least {@code step} steps. */
    private static void awaitCheckpoint(Path dir, long step, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), () -> "the run ended early: " + ChildJvm.read(log));
            Path f = Checkpoint.fileIn(dir);
            if (Files.exists(f)) {
                try {
                    if (Checkpoint.readSettings(f) != null && Checkpoint.read(f).state().step() >= step) {
                        return;
                    }
                } catch (RuntimeException racingRename) {
                    // read between the writer's rename and our open: try again
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no checkpoint at step " + step + ": " + ChildJvm.read(log));
    }

    private static int runHere(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void sigtermStopsWithACheckpoint(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Path log = dir.resolve("child.log");
        Process p = ChildJvm.start(log, args(VISION, out, "--max-steps", "100000", "--checkpoint-every", "2"));
        awaitCheckpoint(out, 2, p, log);
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the run did not stop: " + ChildJvm.read(log));
        assertEquals(0, p.exitValue(), ChildJvm.read(log));
        String text = ChildJvm.read(log);
        assertTrue(text.contains("STOP_REQUESTED") && text.contains("stopping after this step"), text);
        long stopped = Checkpoint.read(Checkpoint.fileIn(out)).state().step();
        assertTrue(stopped >= 2 && stopped < 100000, "checkpoint at step " + stopped);
    }

    /** A checkpoint write that fails (a full disk) keeps the last good checkpoint and exits 1 with one line. */
    @Test
    void aFullDiskKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        assertEquals(0, runHere(args(VISION, out, "--max-steps", "2")));
        byte[] good = Files.readAllBytes(Checkpoint.fileIn(out));
        Path log = dir.resolve("child.log");
        Process p = ChildJvm.startWithFileSizeLimit(log, good.length / 1024 / 2, "train", "--resume", out.toString(),
                "--max-steps", "4");
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), ChildJvm.read(log));
        String text = ChildJvm.read(log);
        assertEquals(1, p.exitValue(), text);
        assertTrue(text.contains("deq4j: error: checkpoint") && text.contains("previous checkpoint kept")
                && text.contains("File too large"), text);
        assertFalse(text.contains("\tat "), "one line, no stack trace: " + text);
        assertArrayEquals(good, Files.readAllBytes(Checkpoint.fileIn(out)), "the last good checkpoint is intact");
        assertEquals(2, Checkpoint.read(Checkpoint.fileIn(out)).state().step());
    }

    @Test
    void aKilledVisionRunResumesToTheSameParameters(@TempDir Path dir) throws Exception {
        killAndResume(VISION, List.of("train"), dir);
    }

    @Test
    void aKilledLanguageModelRunResumesToTheSameParameters(@TempDir Path dir) throws Exception {
        killAndResume(LM, List.of("lm", "train", "--time-budget", "0", "--eval-windows", "2"), dir);
    }

    private static void killAndResume(List<String> run, List<String> resume, Path dir) throws Exception {
        Path straight = dir.resolve("straight");
        assertEquals(0, runHere(args(run, straight, "--max-steps", Integer.toString(STEPS))));

        Path killed = dir.resolve("killed");
        Path log = dir.resolve("child.log");
        Process p = ChildJvm.start(log, args(run, killed, "--max-steps", Integer.toString(STEPS), "--checkpoint-every", "3"));
        awaitCheckpoint(killed, 3, p, log);
        p.destroyForcibly(); // SIGKILL: no handler runs, whatever was being written is cut off
        p.waitFor(1, TimeUnit.MINUTES);
        long at = Checkpoint.read(Checkpoint.fileIn(killed)).state().step();
        assertTrue(at >= 3 && at < STEPS, "killed mid-run, the last good checkpoint survives: step " + at);

        List<String> again = new ArrayList<>(resume);
        again.addAll(List.of("--resume", killed.toString(), "--max-steps", Integer.toString(STEPS)));
        assertEquals(0, runHere(again.toArray(new String[0])));
        Checkpoint a = Checkpoint.read(Checkpoint.fileIn(straight));
        Checkpoint b = Checkpoint.read(Checkpoint.fileIn(killed));
        assertEquals(STEPS, b.state().step());
        assertArrayEquals(a.graph().params().toDoubleVector(), b.graph().params().toDoubleVector(),
                "resumed after a kill at step " + at);
        assertEquals(a.metrics().rows().stream().map(r -> List.of(r.kind(), r.step(), r.loss(), r.metric())).toList(),
                b.metrics().rows().stream().map(r -> List.of(r.kind(), r.step(), r.loss(), r.metric())).toList());
    }
}
