package org.deq4j.cli;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.VariationalDropout;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --dropout RATE} option of {@code train} and {@code lm train}: locked (variational) dropout
 * inside the DEQ cells, one mask per training step shared by every solver iteration and the backward
 * pass, none at evaluation.
 */
final class DropoutOption {
    /** The option's help text. */
    static final String DESCRIPTION = "Locked (variational) dropout rate inside the DEQ cell, in [0, 1): one mask"
            + " per training step, shared by every solver iteration and the backward pass; none at evaluation"
            + " (default: the preset's; every shipped preset 0, off).";

    private DropoutOption() {
    }

    /**
     * The dropout of {@code rate}, or {@code preset}'s when the option was not given.
     *
     * @throws ParameterException naming the option if the rate is outside [0, 1)
     */
    static VariationalDropout parse(CommandLine cmd, Double rate, VariationalDropout preset) {
        if (rate == null) {
            return preset;
        }
        try {
            return new VariationalDropout(rate);
        } catch (InvalidConfigException e) {
            throw new ParameterException(cmd, "--dropout must be in [0, 1) (0 turns dropout off), got " + rate);
        }
    }
}
