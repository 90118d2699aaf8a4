package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run files ({@code --config FILE}) of {@code train} and {@code lm train}, checked with dry runs (nothing is
 * loaded or trained): values apply, the command line overrides them, unknown keys get the nearest option
 * name, and every malformed file is refused with a message naming the file and the problem.
 */
class RunFileTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static void assertUsageError(CliRun r, String... fragments) {
        assertEquals(2, r.exit(), r.out() + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "missing '" + f + "' in: " + r.err());
        }
    }

    @Test
    void fileValuesApplyAndTheCommandLineOverridesThem() throws IOException {
        Path f = file("run.yaml", """
                # comments are allowed
                preset: fashion-tiny
                seed: 5
                solver-steps: 3
                beta: 0.6
                lr-schedule: plateau:window=50,patience=4
                progress: off      # YAML 1.1 would read this as false
                """);
        CliRun r = CliRun.of("train", "--seed", "9", "--config", f.toString(), "--dry-run");
        assertEquals(0, r.exit(), r.err());
        for (String line : new String[] {"preset: fashion-tiny", "seed: 9", "solverSteps: 3", "beta: 0.6",
                "lrSchedule: plateau:window=50,patience=4,factor=0.5,stop=0.001,rtol=1.0E-4"}) {
            assertTrue(r.out().contains("  " + line + "\n"), line + " in: " + r.out());
        }
        CliRun after = CliRun.of("train", "--config=" + f, "--beta", "0.7", "--dry-run");
        assertEquals(0, after.exit(), after.err());
        assertTrue(after.out().contains("  beta: 0.7\n") && after.out().contains("  seed: 5\n"), after.out());

        Path lm = file("lm.yaml", "tokenizer: bytes\nsolver-steps: 6\nbeta: 1.4\nlr: 1e-3\nbatch-size: 8\n");
        CliRun l = CliRun.of("lm", "train", "--config", lm.toString(), "--batch-size", "4", "--dry-run");
        assertEquals(0, l.exit(), l.err());
        for (String line : new String[] {"tokenizer: bytes", "solverSteps: 6", "beta: 1.4", "learningRate: 0.001",
                "batchSize: 4"}) {
            assertTrue(l.out().contains("  " + line + "\n"), line + " in: " + l.out());
        }
    }

    @Test
    void unknownKeysGetTheNearestOptionName() throws IOException {
        assertUsageError(CliRun.of("train", "--config", file("a.yaml", "preset: fashion-tiny\nsolver-step: 3\n")
                .toString()), "a.yaml: unknown key 'solver-step'", "did you mean 'solver-steps'?");
        assertUsageError(CliRun.of("lm", "train", "--config", file("b.yaml", "tokeniser: bytes\n").toString()),
                "unknown key 'tokeniser'", "not an option of deq4j lm train", "did you mean 'tokenizer'?");
        // the vision command has no tokenizer: the nearest is not a plausible typo, so every key is listed
        assertUsageError(CliRun.of("train", "--config", file("c.yaml", "tokenizer: bytes\n").toString()),
                "unknown key 'tokenizer'", "solver-steps", "lr-schedule");
        assertUsageError(CliRun.of("train", "--config", file("d.yaml", "lr-schedule: plateau:windw=5\n").toString(),
                "--dry-run"), "unknown parameter 'windw'", "did you mean window?");
    }

    @Test
    void malformedFilesAreNamedWithTheirProblem() throws IOException {
        assertUsageError(CliRun.of("train", "--config", dir.resolve("none.yaml").toString()), "none.yaml does not exist");
        assertUsageError(CliRun.of("train", "--config", file("dup.yaml", "seed: 1\nseed: 2\n").toString()),
                "dup.yaml is not valid YAML", "duplicate key seed");
        assertUsageError(CliRun.of("train", "--config", file("list.yaml", "seed: [1, 2]\n").toString()),
                "'seed' must be a single value");
        assertUsageError(CliRun.of("train", "--config", file("empty.yaml", "seed:\n").toString()), "'seed' has no value");
        assertUsageError(CliRun.of("train", "--config", file("scalar.yaml", "just text\n").toString()),
                "must be a mapping");
        assertUsageError(CliRun.of("train", "--config", file("nest.yaml", "config: other.yaml\n").toString()),
                "'config' cannot be set here: run files do not nest");
        assertUsageError(CliRun.of("train", "--config", file("sweep.yaml", "command: train\naxes:\n  seed: [1]\n")
                .toString()), "is a sweep file", "deq4j sweep");
        assertUsageError(CliRun.of("train", "--config", file("int.yaml", "solver-steps: two\n").toString()),
                "--solver-steps", "'two' is not an int");
        assertUsageError(CliRun.of("train", "--config", file("beta.yaml", "gradient: unrolled\nbeta: 1.5\n").toString(),
                "--dry-run"), "beta 1.5 does not suit gradient unrolled");
        assertUsageError(CliRun.of("train", "--config", file("flag.yaml", "dry-run: maybe\n").toString()),
                "'dry-run' is a flag: true or false");
    }

    /** A flag is a key too: {@code dry-run: true} makes a dry run (nothing written to --out). */
    @Test
    void flagsAreKeys() throws IOException {
        Path out = dir.resolve("never");
        CliRun r = CliRun.of("train", "--config", file("dry.yaml", "preset: fashion-tiny\ndry-run: true\n").toString(),
                "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("dry run") && !Files.exists(out), r.out());
    }
}
