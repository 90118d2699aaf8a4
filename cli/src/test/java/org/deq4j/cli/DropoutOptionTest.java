package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.deq4j.samediff.dl4j.DeqVertex;
import org.deq4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dropout RATE} on {@code train} and {@code lm train}: checked, stored with the run, kept on resume. */
class DropoutOptionTest {

    @Test
    void ratesOutsideZeroToOneAreRefusedByName(@TempDir Path dir) {
        for (String[] args : new String[][] {{"train", "--dropout", "1"}, {"lm", "train", "--dropout", "-0.1"}}) {
            String[] full = java.util.Arrays.copyOf(args, args.length + 2);
            full[args.length] = "--out";
            full[args.length + 1] = dir.resolve("x").toString();
            CliRun r = CliRun.of(full);
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("--dropout must be in [0, 1)"), r.err());
            assertFalse(Files.exists(dir.resolve("x")), "a refused run leaves nothing behind");
        }
    }

    @Test
    void theRateReachesTheModelAndTheCheckpointAndResumeKeepsIt(@TempDir Path dir) {
        Path out = dir.resolve("run");
        CliRun train = CliRun.of("train", "--preset", "fashion-tiny", "--max-steps", "1", "--batch-size", "8",
                "--dropout", "0.2", "--out", out.toString());
        assertEquals(0, train.exit(), train.err());
        Path file = Checkpoint.fileIn(out);
        assertEquals(0.2, RunSettings.of(file, RunSettings.Kind.VISION).dropout().rate());
        Checkpoint cp = Checkpoint.read(file);
        long withDropout = cp.graph().getConfiguration().getVertices().values().stream()
                .filter(v -> v instanceof DeqVertex d && d.dropout().rate() == 0.2).count();
        assertTrue(withDropout >= 1, "the DEQ vertices carry the rate");

        CliRun refused = CliRun.of("train", "--resume", out.toString(), "--dropout", "0.3");
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("--dropout"), refused.err());
        CliRun resumed = CliRun.of("train", "--resume", out.toString(), "--max-steps", "2");
        assertEquals(0, resumed.exit(), resumed.err());
        assertEquals(0.2, RunSettings.of(file, RunSettings.Kind.VISION).dropout().rate(), "resume keeps the rate");
    }

    @Test
    void aDryRunStatesTheStabilisersThePresetAndTheOptionsGive() {
        CliRun plain = CliRun.of("train", "--dry-run");
        assertEquals(0, plain.exit(), plain.err());
        assertTrue(plain.out().contains("stabilisers: none"), plain.out());
        CliRun both = CliRun.of("lm", "train", "--dry-run", "--dropout", "0.1", "--jac-reg", "0.5");
        assertEquals(0, both.exit(), both.err());
        assertTrue(both.out().contains("stabilisers: locked dropout 0.1, Jacobian regularisation λ 0.5 (every step,"
                + " 1 probe)"), both.out());
    }
}
