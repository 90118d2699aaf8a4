package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** Every failure reaches the user as one "deq4j: error:" message with the exit code of its family. */
class ErrorReportingTest {


    private static void assertUserError(CliRun r, int exit, String... parts) {
        assertEquals(exit, r.exit(), r.err());
        assertTrue(r.err().startsWith("deq4j: error: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "'" + p + "' missing from: " + r.err());
        }
    }

    @Test
    void usageErrorsExitTwoAndPointToTheHelp(@TempDir Path dir) {
        assertUserError(CliRun.of("train", "--preset", "nope", "--out", dir.resolve("a").toString()), 2,
                "unknown preset 'nope'", "deq4j train --help");
        CliRun lr = CliRun.of("train", "--lr", "-1", "--out", dir.resolve("b").toString());
        assertUserError(lr, 2, "--lr must be positive", "-1");
        assertFalse(Files.exists(dir.resolve("b")), "a refused run leaves nothing behind");
        assertUserError(CliRun.of("lm", "train", "--gradient", "adjoint", "--out", dir.resolve("c").toString()), 2,
                "unknown gradient strategy 'adjoint'", "deq4j lm train --help");
        assertUserError(CliRun.of("train", "--epoch", "3", "--out", dir.resolve("h").toString()), 2,
                "Unknown option", "did you mean", "--epochs");
        assertUserError(CliRun.of("train", "--max-steps", "0", "--out", dir.resolve("d").toString()), 2,
                "--max-steps must be at least 1, got 0");
        // --time-budget reads alike in train and lm train: 0 or none is no limit, other non-durations are refused
        assertUserError(CliRun.of("train", "--time-budget", "12 minutes", "--out", dir.resolve("f").toString()), 2,
                "cannot read duration '12 minutes'");
        assertUserError(CliRun.of("lm", "train", "--time-budget", "12 minutes", "--out", dir.resolve("g").toString()), 2,
                "cannot read duration '12 minutes'");
        assertUserError(CliRun.of("lm", "eval", "--checkpoint", dir.toString(), "--max-windows", "-4"), 2,
                "--max-windows must be 0 (all) or more, got -4");
        assertUserError(CliRun.of("lm", "train", "--epochs", "0", "--out", dir.resolve("e").toString()), 2,
                "--epochs must be at least 1");
        String lm = Path.of("..", "lm", "pretrained", "austen-micro").toString();
        assertUserError(CliRun.of("lm", "generate", "--checkpoint", lm, "--tokens", "0"), 2, "--tokens must be at least 1");
        assertUserError(CliRun.of("lm", "generate", "--checkpoint", lm, "--top-k", "0"), 2, "--top-k must be at least 1");
        assertUserError(CliRun.of("lm", "generate", "--checkpoint", lm, "--temperature", "-1"), 2, "--temperature");
        // what the JVM makes of bytes the console's charset cannot decode
        assertUserError(CliRun.of("lm", "generate", "--checkpoint", lm, "--prompt", "caf\uFFFD"), 2,
                "--prompt is not valid text in the console's encoding");
    }

    @Test
    void anOutputThatIsAFileIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        assertUserError(CliRun.of("train", "--out", file.toString()), 2, "--out " + file + " is a file");
        assertUserError(CliRun.of("lm", "train", "--out", file.toString()), 2, "--out " + file + " is a file");
        assertEquals("x", Files.readString(file));
    }

    @Test
    void dataAndCheckpointErrorsExitOneAndNameTheProblem(@TempDir Path dir) {
        assertUserError(CliRun.of("train", "--resume", dir.toString()), 1, "checkpoint.zip", "no such file");
        assertUserError(CliRun.of("lm", "eval", "--checkpoint", Path.of("..", "zoo", "pretrained", "fashion-cpu").toString()),
                1, "vision checkpoint", "deq4j eval");
        assertUserError(CliRun.of("eval", "--checkpoint", Path.of("..", "lm", "pretrained", "austen-micro").toString()), 1,
                "language-model checkpoint", "deq4j lm eval");
    }

    @Test
    void aBugPrintsItsTraceAndAsksForAReport() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        int exit = new ErrorReporter(false).handleExecutionException(new IllegalStateException("boom"), cl, null);
        assertEquals(1, exit);
        assertTrue(err.toString().startsWith("deq4j: internal error: java.lang.IllegalStateException: boom"), err.toString());
        assertTrue(err.toString().contains("\tat ") && err.toString().contains("please report"), err.toString());
    }
}
