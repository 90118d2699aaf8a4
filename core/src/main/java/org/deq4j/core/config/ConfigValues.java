package org.deq4j.core.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.deq4j.core.InvalidConfigException;

/**
 * A configuration map being read. Values may be strings (as read from properties files or the
 * command line) or numbers and booleans (as read from JSON or YAML); either way they are parsed
 * strictly, and every error names the key. Unknown keys are rejected on construction; the keys
 * read are recorded so that a key without effect in the resulting configuration can be reported.
 */
final class ConfigValues {
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("(?i)nan|[+-]?inf(inity)?");

    /** Settings of the DEQ layer rather than of its solve, which users may look for among the keys. */
    private static final Map<String, String> LAYER_SETTINGS = Map.of("dropout", "locked dropout is a setting of the"
            + " DEQ layer, not of its solve: DeqVertex.builder().dropout(rate), deqVertex { dropout = rate } or the"
            + " command line's --dropout");

    private final Map<String, ?> map;
    private final Set<ConfigKey> read = EnumSet.noneOf(ConfigKey.class);

    /** @throws InvalidConfigException naming every unknown key, with the nearest valid key where one is close */
    ConfigValues(Map<String, ?> map) {
        List<String> unknown = new ArrayList<>();
        boolean unmatched = false;
        for (String k : map.keySet()) {
            if (k == null) {
                unknown.add("null");
                unmatched = true;
            } else if (LAYER_SETTINGS.containsKey(k.toLowerCase(Locale.ROOT))) {
                unknown.add("'" + k + "' (" + LAYER_SETTINGS.get(k.toLowerCase(Locale.ROOT)) + ")");
            } else if (ConfigKey.of(k).isEmpty()) {
                Optional<ConfigKey> near = KeySuggester.suggest(k);
                unknown.add("'" + k + "'" + near.map(s -> " (did you mean '" + s.key() + "'?)").orElse(""));
                unmatched |= near.isEmpty();
            }
        }
        if (!unknown.isEmpty()) {
            String valid = Arrays.stream(ConfigKey.values()).map(ConfigKey::key).collect(Collectors.joining(", "));
            throw new InvalidConfigException("unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + (unmatched ? "; valid keys are " + valid : ""));
        }
        this.map = map;
    }

    /** Whether the map holds {@code k} (without counting it as read). */
    boolean isPresent(ConfigKey k) {
        return map.containsKey(k.key());
    }

    /** The value of {@code k}, if present; marks {@code k} read. */
    Optional<Object> raw(ConfigKey k) {
        read.add(k);
        if (!map.containsKey(k.key())) {
            return Optional.empty();
        }
        Object v = map.get(k.key());
        if (v == null) {
            throw error(k, "has no value");
        }
        return Optional.of(v);
    }

    /** An integer: an integral number, or a string of decimal digits. */
    int integer(ConfigKey k, int fallback) {
        return raw(k).map(v -> toInteger(k, v)).orElse(fallback);
    }

    /**
     * An integer that torchdeq lets be a list with one entry per supervised state; deq4j has one
     * state, so a list must hold exactly one integer.
     */
    int integerOrSingletonList(ConfigKey k, int fallback) {
        return raw(k).map(v -> {
            if (v instanceof Collection<?> c) {
                if (c.size() != 1) {
                    throw error(k, "a list gives one value per supervised state, but deq4j solves for one state;"
                            + " give a single integer, got " + describe(v));
                }
                Object only = c.iterator().next();
                if (only == null) {
                    throw error(k, "has no value");
                }
                return toInteger(k, only);
            }
            return toInteger(k, v);
        }).orElse(fallback);
    }

    /**
     * A real number: a number, or a decimal string such as "1e-6"; "NaN" and "inf" parse too, so
     * that the range check of the value's user reports them.
     */
    double real(ConfigKey k, double fallback) {
        return raw(k).map(v -> toReal(k, v)).orElse(fallback);
    }

    /** A boolean: {@code true}/{@code false}, or those words as strings in any case. */
    Optional<Boolean> bool(ConfigKey k) {
        return raw(k).map(v -> {
            if (v instanceof Boolean b) {
                return b;
            }
            if (v instanceof CharSequence s) {
                String t = s.toString().trim();
                if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
                    return Boolean.parseBoolean(t);
                }
            }
            throw error(k, "expected true or false, got " + describe(v));
        });
    }

    /** A string value parsed by {@code parse}, whose {@link InvalidConfigException} gets the key prepended. */
    <T> Optional<T> choice(ConfigKey k, Function<String, T> parse) {
        return raw(k).map(v -> {
            if (!(v instanceof CharSequence s)) {
                throw error(k, "expected a name, got " + describe(v));
            }
            return at(List.of(k), () -> parse.apply(s.toString().trim()));
        });
    }

    /**
     * Runs a constructor that validates values read from {@code keys}. Its
     * {@link InvalidConfigException} is rethrown naming those of {@code keys} the map gave (the
     * defaults are valid, so the culprit is among them), or all of {@code keys} if it gave none.
     */
    <T> T build(Supplier<T> construct, ConfigKey... keys) {
        List<ConfigKey> given = Arrays.stream(keys).filter(this::isPresent).toList();
        return at(given.isEmpty() ? List.of(keys) : given, construct);
    }

    /** Keys the map gave that were never read: they have no effect in the configuration built. */
    List<ConfigKey> unread() {
        return map.keySet().stream().map(k -> ConfigKey.of(k).orElseThrow()).filter(k -> !read.contains(k))
                .toList();
    }

    /** An error about the value of {@code k}. */
    static InvalidConfigException error(ConfigKey k, String message) {
        return new InvalidConfigException("config key '" + k.key() + "': " + message);
    }

    private static <T> T at(List<ConfigKey> keys, Supplier<T> construct) {
        try {
            return construct.get();
        } catch (InvalidConfigException e) {
            String names = keys.stream().map(k -> "'" + k.key() + "'").collect(Collectors.joining(", "));
            throw new InvalidConfigException("config key" + (keys.size() > 1 ? "s " : " ") + names + ": "
                    + e.getMessage());
        }
    }

    private static int toInteger(ConfigKey k, Object v) {
        BigDecimal d = null;
        if (v instanceof CharSequence s && INTEGER.matcher(s.toString().trim()).matches()) {
            d = new BigDecimal(s.toString().trim());
        } else if (v instanceof Double || v instanceof Float) {
            // JSON readers that map every number to a double give 40.0 for 40.
            double x = ((Number) v).doubleValue();
            d = Double.isFinite(x) && x == Math.rint(x) ? BigDecimal.valueOf(x) : null;
        } else if (v instanceof Number n) {
            d = new BigDecimal(n.toString());
        }
        if (d == null || d.signum() != 0 && d.stripTrailingZeros().scale() > 0) {
            throw error(k, "expected an integer, got " + describe(v));
        }
        try {
            return d.intValueExact();
        } catch (ArithmeticException e) {
            throw error(k, "integer out of range, got " + describe(v));
        }
    }

    private static double toReal(ConfigKey k, Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof CharSequence s) {
            String t = s.toString().trim();
            if (DECIMAL.matcher(t).matches()) {
                return Double.parseDouble(t);
            }
            if (NON_FINITE.matcher(t).matches()) {
                return t.equalsIgnoreCase("nan") ? Double.NaN
                        : t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
        }
        throw error(k, "expected a number, got " + describe(v));
    }

    private static String describe(Object v) {
        return v instanceof CharSequence ? "'" + v + "'" : v + " (" + v.getClass().getSimpleName() + ")";
    }
}
