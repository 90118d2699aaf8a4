package org.deq4j.samediff.cell;

import java.util.Map;

import org.deq4j.core.InvalidConfigException;

/**
 * Reads a graph cell's {@link GraphCell#config()} map back, as {@link GraphCells} factories must:
 * values may come back from JSON or op properties as numbers, booleans or their string forms.
 * Every error names the cell and the key.
 *
 * @param cell    the cell's name for error messages, e.g. "transformer cell"
 * @param entries the configuration map
 */
public record CellConfig(String cell, Map<String, Object> entries) {

    /**
     * The value of {@code key} as a number.
     *
     * @throws InvalidConfigException if the key is missing or not a number
     */
    public Number number(String key) {
        Object v = required(key);
        if (v instanceof Number n) {
            return n;
        }
        try {
            return Double.valueOf(v.toString());
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(cell + " config '" + key + "' must be a number, got '" + v + "'");
        }
    }

    /**
     * The value of {@code key} as an int.
     *
     * @throws InvalidConfigException if the key is missing or not an integer
     */
    public int integer(String key) {
        double v = number(key).doubleValue();
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new InvalidConfigException(cell + " config '" + key + "' must be an integer, got " + v);
        }
        return (int) v;
    }

    /**
     * The value of {@code key} as a boolean ({@code true}/{@code false}, any case, as strings too).
     *
     * @throws InvalidConfigException if the key is missing or not a boolean
     */
    public boolean bool(String key) {
        Object v = required(key);
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString();
        if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new InvalidConfigException(cell + " config '" + key + "' must be true or false, got '" + v + "'");
    }

    private Object required(String key) {
        Object v = entries.get(key);
        if (v == null) {
            throw new InvalidConfigException(cell + " config lacks '" + key + "'; keys: " + entries.keySet());
        }
        return v;
    }
}
