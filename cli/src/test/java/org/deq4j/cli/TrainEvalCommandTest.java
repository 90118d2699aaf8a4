package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** {@code deq4j train} and {@code deq4j eval} end to end on a few steps of the tiny preset. */
class TrainEvalCommandTest {

    @Test
    void trainsResumesAndEvaluates(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliRun train = CliRun.of("train", "--preset", "fashion-tiny", "--max-steps", "2", "--batch-size", "16",
                "--gradient", "unrolled", "--out", out.toString());
        assertEquals(0, train.exit(), train.err());
        assertTrue(train.out().contains("STEP_LIMIT after 2 steps"), train.out());
        assertTrue(Files.exists(out.resolve("checkpoint.zip")) && Files.exists(out.resolve("metrics.csv")));

        CliRun again = CliRun.of("train", "--preset", "fashion-tiny", "--out", out.toString());
        assertEquals(2, again.exit(), "a new run must not overwrite a checkpoint");

        CliRun resumed = CliRun.of("train", "--resume", out.toString(), "--max-steps", "3");
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.out().contains("after 3 steps"), resumed.out());
        assertTrue(resumed.err().contains("gradient unrolled"), resumed.err());

        CliRun eval = CliRun.of("eval", "--checkpoint", out.resolve("checkpoint.zip").toString(), "--json");
        assertEquals(0, eval.exit(), eval.err());
        JsonNode n = new ObjectMapper().readTree(eval.out());
        assertEquals(2000, n.get("images").asInt());
        assertEquals(n.get("correct").asDouble() / 2000, n.get("accuracy").asDouble(), 1e-12);
        assertEquals("fashion-mnist", n.get("dataset").asText());
    }

    @Test
    void rejectsAnUnknownProgressModeByName(@TempDir Path dir) {
        for (String command : new String[] {"train", "lm train"}) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--progress", "sideways", "--out", dir.resolve(command.replace(' ', '-')).toString()));
            CliRun r = CliRun.of(args.toArray(new String[0]));
            assertEquals(2, r.exit(), command);
            assertTrue(r.err().contains("--progress") && r.err().contains("sideways") && r.err().contains("LINES"),
                    command + ": " + r.err());
        }
    }
}
