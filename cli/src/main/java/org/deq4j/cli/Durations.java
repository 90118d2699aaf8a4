package org.deq4j.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.train.CheckpointInterval;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Durations as the commands' options take them: a number with unit ms, s, m or h ({@code "250ms"},
 * {@code "90s"}, {@code "1.5h"}) or ISO-8601 ({@code "PT14M"}); rounded to milliseconds.
 */
final class Durations {
    private static final String FORMS = "write e.g. 90s, 14m or 2h";

    private Durations() {
    }

    /**
     * A positive duration.
     *
     * @throws InvalidConfigException naming the text if it is not a duration or not positive
     */
    static Duration parse(String text) {
        return parse(text, FORMS);
    }

    /**
     * A limit that may be switched off: {@code "0"} or {@code "none"} give no limit, anything else is
     * read as by {@link #parse}.
     *
     * @throws InvalidConfigException naming the text if it is neither
     */
    static Optional<Duration> parseLimit(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0") || t.equals("none")) {
            return Optional.empty();
        }
        return Optional.of(parse(text, FORMS + ", or 0 for none"));
    }

    /**
     * A checkpoint interval: a whole number of steps ({@code 500}) or a period ({@code 10m}).
     *
     * @throws ParameterException naming {@code option} if the text is neither or not positive
     */
    static CheckpointInterval interval(CommandLine cl, String option, String text) {
        try {
            if (text.trim().matches("\\d+")) {
                return CheckpointInterval.steps(Long.parseLong(text.trim()));
            }
            return CheckpointInterval.time(parse(text));
        } catch (InvalidConfigException | NumberFormatException e) {
            throw new ParameterException(cl, option + " takes a number of steps (e.g. 500) or a period (e.g. 10m),"
                    + " got '" + text + "': " + e.getMessage());
        }
    }

    private static Duration parse(String text, String forms) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (t.startsWith("pt")) {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } else {
                int digits = t.endsWith("ms") ? t.length() - 2 : t.length() - 1;
                double seconds = switch (t.substring(digits)) {
                    case "ms" -> 1e-3;
                    case "s" -> 1;
                    case "m" -> 60;
                    case "h" -> 3600;
                    default -> throw new NumberFormatException("unit");
                };
                d = Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, digits)) * seconds * 1000));
            }
        } catch (RuntimeException e) {
            throw new InvalidConfigException("cannot read duration '" + text + "'; " + forms);
        }
        if (d.isNegative() || d.isZero()) {
            throw new InvalidConfigException("duration must be positive, got '" + text + "'");
        }
        return d;
    }
}
