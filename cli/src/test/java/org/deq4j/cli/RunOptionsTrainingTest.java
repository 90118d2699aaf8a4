package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.MetricRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --solver-steps}, {@code --beta} and {@code --lr-schedule} reach the trained model and the trainer,
 * are kept by the checkpoint for {@code --resume}, and cannot be changed by it.
 */
class RunOptionsTrainingTest {

    @Test
    void solverStepsBetaAndScheduleReachTheRunAndSurviveResume(@TempDir Path dir) {
        Path out = dir.resolve("run");
        // rtol 0.99: no block average after the first counts as an improvement, so with window 1 and
        // patience 1 the rate halves after every step from the second on
        CliRun r = CliRun.of("train", "--preset", "fashion-tiny", "--batch-size", "8", "--max-steps", "4",
                "--progress", "off", "--solver-steps", "3", "--beta", "0.6",
                "--lr-schedule", "plateau:window=1,patience=1,rtol=0.99", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        Checkpoint c = Checkpoint.read(Checkpoint.fileIn(out));
        List<DeqVertex> deqs = c.graph().getConfiguration().getVertices().values().stream()
                .filter(DeqVertex.class::isInstance).map(DeqVertex.class::cast).toList();
        assertFalse(deqs.isEmpty());
        for (DeqVertex v : deqs) {
            DeqConfig deq = v.deqConfig();
            assertEquals(3, deq.stop().maxSteps());
            assertEquals(0.6, ((ReversibleSolver) deq.solver()).beta());
        }
        double base = 1e-3; // fashion-tiny's learning rate
        assertEquals(List.of(base, base, base / 2, base / 4), lrs(c));

        CliRun changed = CliRun.of("train", "--resume", out.toString(), "--max-steps", "5", "--beta", "0.7");
        assertEquals(2, changed.exit());
        assertTrue(changed.err().contains("--beta cannot change them"), changed.err());

        CliRun resumed = CliRun.of("train", "--resume", out.toString(), "--max-steps", "5", "--progress", "off");
        assertEquals(0, resumed.exit(), resumed.err());
        assertEquals(List.of(base, base, base / 2, base / 4, base / 8), lrs(Checkpoint.read(Checkpoint.fileIn(out))),
                "the schedule comes back from the checkpoint");
    }

    private static List<Double> lrs(Checkpoint c) {
        return c.metrics().rows().stream().filter(row -> row.kind() == MetricRow.Kind.TRAIN).map(MetricRow::lr).toList();
    }
}
