package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import picocli.CommandLine;

/**
 * {@code bench core} end to end at a small size, checked against what the algorithms imply: the
 * reversible solver evaluates the cell once at init and twice per step; the unrolled adjoint stores
 * at least y and z of every step, so its peak grows by at least two state arrays per step; the
 * reversible adjoint stores no trajectory.
 */
class BenchCoreCommandTest {
    private static final int STATE = 32;
    private static final int BATCH = 16;

    @Test
    void measuresEveryAdjointAndStepBudgetWithMemoryTheAlgorithmsImply() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        int code = cli.execute("bench", "core", "--steps", "2,6", "--repeats", "1", "--warmup", "0",
                "--state-size", String.valueOf(STATE), "--input-size", "8", "--batch", String.valueOf(BATCH),
                "--json");
        assertEquals(0, code, out.toString());

        JsonNode root = new ObjectMapper().readTree(out.toString());
        JsonNode results = root.get("results");
        assertEquals(6, results.size());
        Map<String, Long> peak = new HashMap<>();
        for (JsonNode r : results) {
            int steps = r.get("steps").asInt();
            assertEquals(1 + 2 * steps, r.get("forwardEvaluations").asInt(), r.toString());
            assertTrue(r.get("totalMillis").asDouble() > 0, r.toString());
            assertTrue(r.get("peakBytes").asLong() > 0, r.toString());
            peak.put(r.get("adjoint").asText() + steps, r.get("peakBytes").asLong());
        }
        long stateBytes = (long) STATE * BATCH * Double.BYTES;
        assertTrue(peak.get("unrolled6") - peak.get("unrolled2") >= 4 * 2 * stateBytes, peak.toString());
        assertTrue(Math.abs(peak.get("reversible6") - peak.get("reversible2")) <= 0.1 * peak.get("reversible2"),
                peak.toString());
        assertTrue(Math.abs(peak.get("implicit6") - peak.get("implicit2")) <= 0.1 * peak.get("implicit2"),
                peak.toString());
    }

    @Test
    void rejectsAnEmptyOrNonPositiveStepList() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("bench", "core", "--steps", "0", "--repeats", "1");
        assertTrue(code != 0);
        assertTrue(err.toString().contains("step budgets"), err.toString());
    }
}
