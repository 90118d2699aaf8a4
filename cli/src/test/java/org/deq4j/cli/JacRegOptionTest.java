package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.deq4j.train.Checkpoint;
import org.deq4j.train.MetricRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --jac-reg}: validated, stored in the run settings, applied and logged, kept on resume exactly. */
class JacRegOptionTest {

    @Test
    void trainsWithTheRegularisationLogsItAndKeepsItOnResume(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliRun train = CliRun.of("train", "--preset", "fashion-tiny", "--max-steps", "2", "--batch-size", "16",
                "--jac-reg", "0.5", "--progress", "lines", "--out", out.toString());
        assertEquals(0, train.exit(), train.err());
        assertTrue(train.err().contains("Jacobian regularisation λ 0.5"), train.err());
        assertEquals(0.5, RunSettings.of(Checkpoint.fileIn(out)).jacReg());
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertTrue(csv.get(0).endsWith(",jac_penalty"), csv.get(0));
        for (String row : csv.subList(1, 3)) {
            double penalty = Double.parseDouble(row.substring(row.lastIndexOf(',') + 1));
            assertTrue(penalty > 0 && Double.isFinite(penalty), row);
        }

        CliRun changed = CliRun.of("train", "--resume", out.toString(), "--jac-reg", "1");
        assertEquals(2, changed.exit());
        assertTrue(changed.err().contains("--jac-reg"), changed.err());
        CliRun resumed = CliRun.of("train", "--resume", out.toString(), "--max-steps", "3", "--progress", "lines");
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.err().contains("Jacobian regularisation λ 0.5"), resumed.err());
        List<String> after = Files.readAllLines(out.resolve("metrics.csv"));
        String last = after.get(after.size() - 1);
        assertTrue(last.startsWith("train,3,") && !last.endsWith(","), "step 3 is regularised too: " + last);

        // The probes come from the trainer's per-step seed: the resumed run is the uninterrupted one.
        Path straight = dir.resolve("straight");
        CliRun whole = CliRun.of("train", "--preset", "fashion-tiny", "--max-steps", "3", "--batch-size", "16",
                "--jac-reg", "0.5", "--progress", "off", "--out", straight.toString());
        assertEquals(0, whole.exit(), whole.err());
        Checkpoint a = Checkpoint.read(Checkpoint.fileIn(straight));
        Checkpoint b = Checkpoint.read(Checkpoint.fileIn(out));
        assertArrayEquals(a.graph().params().toDoubleVector(), b.graph().params().toDoubleVector());
        assertEquals(a.metrics().rows().stream().map(MetricRow::jacPenalty).toList(),
                b.metrics().rows().stream().map(MetricRow::jacPenalty).toList());
    }

    @Test
    void rejectsANegativeWeightOnBothTrainCommands(@TempDir Path dir) {
        for (String command : new String[] {"train", "lm train"}) {
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--jac-reg", "-0.1", "--out", dir.resolve(command.replace(' ', '-')).toString()));
            CliRun r = CliRun.of(args.toArray(new String[0]));
            assertEquals(2, r.exit(), command);
            assertTrue(r.err().contains("--jac-reg must be >= 0"), command + ": " + r.err());
        }
    }
}
