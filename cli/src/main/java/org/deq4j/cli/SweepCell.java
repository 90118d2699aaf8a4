package org.deq4j.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One run of a sweep: a point of the grid and the option values it runs with.
 *
 * @param index  1-based position in the grid
 * @param point  the axes' values of this cell, in axis order
 * @param values every option value of the run (the sweep's base with the point applied)
 */
record SweepCell(int index, Map<String, String> point, Map<String, String> values) {
    SweepCell {
        point = Collections.unmodifiableMap(new LinkedHashMap<>(point));
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * The cell's folder inside the sweep's: its axis values, e.g. {@code gradient-reversible_solver-steps-2},
     * with characters other than letters, digits, '.' and '+' replaced by '-'.
     */
    String folder() {
        return point.entrySet().stream().map(e -> e.getKey() + "-" + e.getValue().replaceAll("[^A-Za-z0-9.+]+", "-"))
                .collect(Collectors.joining("_"));
    }

    /** The point for people: {@code gradient=reversible, solver-steps=2}. */
    String label() {
        return point.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }
}
