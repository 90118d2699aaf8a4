package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** The hand-rolled writer checked against an independent parser (ND4J's shaded Jackson). */
class JsonTest {
    private static final ObjectMapper PARSER = new ObjectMapper();

    @Test
    void nestedValuesRoundTripThroughAnIndependentParser() throws Exception {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("tiny", 1.25e-300);
        inner.put("huge", -6.02e23);
        inner.put("int", 42);
        inner.put("long", 1L << 40);
        inner.put("flag", false);
        inner.put("none", null);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("text", "quote \" backslash \\ newline \n tab \t bell \u0007 unicode é");
        root.put("list", Arrays.asList(1.5, "two", true, null, List.of()));
        root.put("inner", inner);

        JsonNode n = PARSER.readTree(Json.write(root));

        assertEquals(root.get("text"), n.get("text").asText());
        assertEquals(1.5, n.get("list").get(0).asDouble());
        assertEquals("two", n.get("list").get(1).asText());
        assertTrue(n.get("list").get(2).asBoolean());
        assertTrue(n.get("list").get(3).isNull());
        assertEquals(0, n.get("list").get(4).size());
        assertEquals(1.25e-300, n.get("inner").get("tiny").asDouble());
        assertEquals(-6.02e23, n.get("inner").get("huge").asDouble());
        assertEquals(42, n.get("inner").get("int").asInt());
        assertEquals(1L << 40, n.get("inner").get("long").asLong());
        assertTrue(n.get("inner").get("none").isNull());
        assertEquals(List.of("tiny", "huge", "int", "long", "flag", "none"), fieldNames(n.get("inner")));
    }

    @Test
    void nonFiniteNumbersBecomeNull() throws Exception {
        JsonNode n = PARSER.readTree(Json.write(Arrays.asList(Double.NaN, Double.POSITIVE_INFINITY, 1.0f)));
        assertTrue(n.get(0).isNull());
        assertTrue(n.get(1).isNull());
        assertEquals(1.0, n.get(2).asDouble());
    }

    @Test
    void unsupportedValuesAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, "x")));
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
