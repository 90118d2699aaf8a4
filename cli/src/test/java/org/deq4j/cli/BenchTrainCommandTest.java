package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import picocli.CommandLine;

/**
 * {@code bench train} end to end on the tiny zoo preset (two timed steps after one warm-up step),
 * its JSON checked for the fields it promises and for their consistency with each other, and its
 * usage errors.
 */
class BenchTrainCommandTest {
    private static final int STEPS = 2;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tinyPresetPrintsOneJsonObjectWithThroughputSplitAndMemory() throws Exception {
        String[] args = {"bench", "train", "--preset", "fashion-tiny", "--steps", String.valueOf(STEPS), "--warmup", "1",
            "--json"};
        Run r = run(args);
        assertEquals(0, r.code(), r.out() + r.err());

        String text = r.out().trim();
        assertTrue(text.startsWith("{") && text.endsWith("}"), "one JSON object and nothing else: " + text);
        assertEquals(1, text.lines().count(), "one line: " + text);
        JsonNode root = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);
        assertTrue(root.isObject(), text);

        assertEquals("deq4j " + String.join(" ", args), root.get("command").asText(), "the command as typed");
        assertEquals("fashion-tiny", root.get("preset").asText());
        assertEquals(STEPS, root.get("steps").asInt(), text);
        JsonNode stepMillis = root.get("stepMillis");
        assertEquals(STEPS, stepMillis.size(), text);
        double totalMillis = 0;
        for (JsonNode t : stepMillis) {
            assertTrue(t.asDouble() > 0, text);
            totalMillis += t.asDouble();
        }

        double perSecond = root.get("examplesPerSecond").asDouble();
        assertTrue(perSecond > 0, text);
        long perStep = root.get("examplesPerStep").asLong();
        assertEquals(root.get("batchSize").asLong(), perStep, "a full batch per step: " + text);
        // throughput is the examples of the timed steps over their time
        double expected = perStep * STEPS / (totalMillis / 1000.0);
        assertEquals(expected, perSecond, 1e-6 * expected, text);
        assertEquals(totalMillis / STEPS, root.get("meanStepMillis").asDouble(), 1e-6 * totalMillis, text);

        JsonNode split = root.get("splitMillisPerStep");
        double sum = 0;
        for (String key : new String[] {"cellForward", "cellVjp", "solver", "otherLayers"}) {
            assertTrue(split.has(key), key + " missing: " + split);
            double v = split.get(key).asDouble();
            assertTrue(v >= 0 && Double.isFinite(v), key + " = " + v + ": " + split);
            sum += v;
        }
        // a DEQ trains: it solves and differentiates in every timed step (the reversible strategy runs
        // on the RevDEQ op, whose compiled loops keep the cell time inside the DEQ phases)
        assertTrue(split.get("deqForward").asDouble() > 0, split.toString());
        assertTrue(split.get("deqBackward").asDouble() > 0, split.toString());
        // the four parts split the step: the solver is the DEQ layers' time less their cells', the other
        // layers the rest of the step, so they add up to the mean step
        double mean = root.get("meanStepMillis").asDouble();
        double deq = split.get("deqForward").asDouble() + split.get("deqBackward").asDouble();
        double cells = split.get("cellForward").asDouble() + split.get("cellVjp").asDouble();
        assertTrue(cells <= deq && deq <= mean, "cells within the DEQ layers within the step: " + split);
        assertEquals(deq - cells, split.get("solver").asDouble(), 1e-6 * mean, split.toString());
        assertEquals(mean - deq, split.get("otherLayers").asDouble(), 1e-6 * mean, split.toString());
        assertEquals(mean, sum, 1e-6 * mean, "split " + split + " sums to " + sum + " ms, the mean step is " + mean);

        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertTrue(root.has("peakRssBytes"), text);
            long peak = root.get("peakRssBytes").asLong();
            // a JVM with ND4J loaded is well above 50 MiB resident (VmHWM is not compared with VmRSS:
            // Linux updates the high-water mark lazily, so it may lag the current size slightly)
            assertTrue(peak > 50L << 20, "peak RSS " + peak);
            assertTrue(root.get("rssBytesAtEnd").asLong() > 0, text);
        }
    }

    @Test
    void unknownPresetIsAUsageError() {
        Run r = run("bench", "train", "--preset", "no-such-preset", "--steps", "1", "--warmup", "0", "--json");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("unknown preset 'no-such-preset'"), r.err());
        assertTrue(r.err().contains("fashion-tiny"), "the known presets are listed: " + r.err());
        assertFalse(r.out().contains("{"), "no result printed: " + r.out());
    }

    @Test
    void nonPositiveStepsIsAUsageError() {
        Run r = run("bench", "train", "--preset", "fashion-tiny", "--steps", "0", "--json");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--steps must be at least 1"), r.err());
        assertFalse(r.out().contains("{"), "no result printed: " + r.out());
    }
}
