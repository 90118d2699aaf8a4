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
 * reversible and implicit adjoints store no trajectory. Peaks may differ between runs by one cell VJP
 * result (the JIT may free a dead local's arrays earlier than the interpreter), which the bounds allow.
 * A small state and a large batch keep the parameter gradients small next to the state.
 */
class BenchCoreCommandTest {
    private static final int STATE = 16;
    private static final int INPUT = 8;
    private static final int BATCH = 256;

    @Test
    void measuresEveryAdjointAndStepBudgetWithMemoryTheAlgorithmsImply() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        int code = cli.execute("bench", "core", "--steps", "2,6", "--repeats", "1", "--warmup", "0",
                "--memory-runs", "1", "--state-size", String.valueOf(STATE), "--input-size", String.valueOf(INPUT),
                "--batch", String.valueOf(BATCH), "--json");
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
        // value, gz, gx, gW, gU, gb of one TanhMlpCell VJP
        long vjpBytes = (2L * STATE * BATCH + (long) INPUT * BATCH + (long) STATE * STATE + (long) INPUT * STATE
                + STATE) * Double.BYTES;
        assertTrue(peak.get("unrolled6") - peak.get("unrolled2") >= 4 * 2 * stateBytes - vjpBytes, peak.toString());
        for (String constant : new String[] {"reversible", "implicit"}) {
            long lo = peak.get(constant + 2);
            assertTrue(Math.abs(peak.get(constant + 6) - lo) <= 0.1 * lo + vjpBytes, constant + " " + peak);
        }
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
