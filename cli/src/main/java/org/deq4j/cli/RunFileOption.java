package org.deq4j.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/**
 * The {@code --config FILE} option of {@code train} and {@code lm train} (a picocli mixin). The file is read
 * before the command runs, by {@link RunFile#execute}, which parses the command line again with the file's
 * values for the options not given on it; the command itself never reads this field.
 */
final class RunFileOption {
    /** The option's name. */
    static final String NAME = "--config";

    @Option(names = NAME, paramLabel = "FILE", description = "Run file (YAML): option values keyed by option name"
            + " without --, e.g. 'solver-steps: 4'; options given on the command line override it. See"
            + " docs/experiments.md.")
    private Path file;
}
