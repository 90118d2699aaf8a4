package org.deq4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.config.NearestName;
import org.deq4j.train.ReduceOnPlateau;

/**
 * The text form of the learning-rate schedule ({@code --lr-schedule}, run files, run settings): the paper's
 * reduce-on-plateau rule ({@link ReduceOnPlateau}), by default with the paper's parameters, or with some of
 * them replaced: {@code plateau:window=50,patience=4,factor=0.5,stop=1e-3,rtol=1e-4}. The window counts
 * steps, factor multiplies the rate, stop is the scale at which training ends.
 */
final class LrSchedule {
    static final String PLATEAU = "plateau";
    private static final List<String> PARAMETERS = List.of("window", "patience", "factor", "stop", "rtol");

    private LrSchedule() {
    }

    /**
     * The rule {@code text} describes.
     *
     * @throws InvalidConfigException for another schedule name, an unknown parameter (naming the nearest one),
     *         a repeated or malformed one, or a value out of range
     */
    static ReduceOnPlateau.Settings parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String name = colon < 0 ? t : t.substring(0, colon);
        if (!name.equals(PLATEAU)) {
            throw new InvalidConfigException("unknown learning-rate schedule '" + name + "'; the one schedule is '"
                    + PLATEAU + "' (the paper's reduce-on-plateau rule), optionally with parameters, e.g. "
                    + PLATEAU + ":window=50,patience=4");
        }
        ReduceOnPlateau.Settings p = ReduceOnPlateau.Settings.PAPER;
        Map<String, String> given = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String part : t.substring(colon + 1).split(",")) {
                String[] kv = part.split("=", -1);
                String key = kv[0].trim();
                if (kv.length != 2 || key.isEmpty() || kv[1].isBlank()) {
                    throw new InvalidConfigException("learning-rate schedule '" + text + "': expected name=value, got '"
                            + part + "'");
                }
                if (!PARAMETERS.contains(key)) {
                    throw new InvalidConfigException("learning-rate schedule '" + text + "': unknown parameter '" + key
                            + "'" + NearestName.among(key, PARAMETERS).map(n -> " (did you mean " + n + "?)").orElse("")
                            + "; the parameters are " + PARAMETERS);
                }
                if (given.put(key, kv[1].trim()) != null) {
                    throw new InvalidConfigException("learning-rate schedule '" + text + "' gives '" + key + "' twice");
                }
            }
        }
        try {
            return new ReduceOnPlateau.Settings(
                    given.containsKey("window") ? Integer.parseInt(given.get("window")) : p.window(),
                    given.containsKey("patience") ? Integer.parseInt(given.get("patience")) : p.patience(),
                    given.containsKey("factor") ? Double.parseDouble(given.get("factor")) : p.factor(),
                    given.containsKey("stop") ? Double.parseDouble(given.get("stop")) : p.stopScale(),
                    given.containsKey("rtol") ? Double.parseDouble(given.get("rtol")) : p.rtol());
        } catch (NumberFormatException e) {
            throw new InvalidConfigException("learning-rate schedule '" + text + "': not a number (" + e.getMessage()
                    + ")");
        }
    }

    /** The text form of {@code s}, every parameter given, which {@link #parse} reads back to {@code s}. */
    static String format(ReduceOnPlateau.Settings s) {
        return String.format(Locale.ROOT, "%s:window=%d,patience=%d,factor=%s,stop=%s,rtol=%s", PLATEAU, s.window(),
                s.patience(), s.factor(), s.stopScale(), s.rtol());
    }
}
