package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deq4j.core.check.GradientCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** Rendering of gradient-check results; the checks themselves are tested in core. */
class GradcheckCommandTest {
    private static final GradientCheck.Result PASS = new GradientCheck.Result("tanh_mlp", "reversible", "reversible",
            0.8, 4, 2e-10, 1e-6, true, "finite differences");
    private static final GradientCheck.Result FAIL = new GradientCheck.Result("tanh_mlp", "implicit", "anderson",
            0.0, 30, 3e-3, 1e-4, false, "unrolled");

    @Test
    void jsonHoldsEveryCaseAndTheOverallVerdict() throws Exception {
        JsonNode n = new ObjectMapper().readTree(Json.write(GradcheckCommand.toJson(List.of(PASS, FAIL), false)));
        assertFalse(n.get("passed").asBoolean());
        assertEquals(2, n.get("cases").size());
        JsonNode c = n.get("cases").get(1);
        assertEquals("implicit", c.get("adjoint").asText());
        assertEquals("anderson", c.get("solver").asText());
        assertEquals(30, c.get("steps").asInt());
        assertEquals(3e-3, c.get("maxRelativeError").asDouble());
        assertEquals(1e-4, c.get("tolerance").asDouble());
        assertFalse(c.get("passed").asBoolean());
        assertEquals("unrolled", c.get("reference").asText());
        assertTrue(n.get("cases").get(0).get("passed").asBoolean());
    }

    @Test
    void tableMarksFailuresAndCountsThem() {
        String t = GradcheckCommand.table(List.of(PASS, FAIL), false);
        List<String> lines = t.lines().toList();
        assertEquals(5, lines.size(), t);
        assertTrue(lines.get(2).contains("pass"), t);
        assertTrue(lines.get(3).contains("FAIL") && lines.get(3).contains("3.00e-03"), t);
        assertTrue(lines.get(4).contains("1 of 2 cases FAILED"), t);
    }
}
