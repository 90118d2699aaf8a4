package org.deq4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Range checks of numeric options, with messages that name the option as the user typed it. */
final class Limits {
    private Limits() {
    }

    /**
     * Checks an optional count.
     *
     * @param value the option's value, or null when it was not given
     * @throws ParameterException if it was given and is below 1
     */
    static void atLeastOne(CommandLine cl, String option, Number value) {
        if (value != null && value.longValue() < 1) {
            throw new ParameterException(cl, option + " must be at least 1, got " + value);
        }
    }

    /** @throws ParameterException if {@code value} is negative (0 keeps its documented meaning) */
    static void notNegative(CommandLine cl, String option, long value) {
        if (value < 0) {
            throw new ParameterException(cl, option + " must be 0 (all) or more, got " + value);
        }
    }

    /**
     * Checks an optional weight (0 meaning off).
     *
     * @param value the option's value, or null when it was not given
     * @throws ParameterException if it was given and is negative, NaN or infinite
     */
    static void weight(CommandLine cl, String option, Double value) {
        if (value != null && !(value >= 0 && Double.isFinite(value))) {
            throw new ParameterException(cl, option + " must be >= 0 and finite (0 = off), got " + value);
        }
    }
}
