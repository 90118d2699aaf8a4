package org.deq4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code deq4j}, {@code deq4j lm}, {@code deq4j bench}): run
 * without one, it is a usage error (exit code 2) that lists them.
 */
abstract class CommandGroup implements Runnable {
    private final String member;

    @Spec
    private CommandSpec spec;

    /** @param member what a subcommand is called in the error, e.g. "command" */
    CommandGroup(String member) {
        this.member = member;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing " + member + ": choose one of "
                + spec.subcommands().keySet());
    }
}
