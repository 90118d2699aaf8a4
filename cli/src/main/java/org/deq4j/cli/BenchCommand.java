package org.deq4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code deq4j bench}: the group of benchmarks; each benchmark is a subcommand class. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: time and memory.",
        subcommands = {BenchCoreCommand.class, BenchMemoryCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing benchmark: choose one of "
                + spec.subcommands().keySet());
    }
}
