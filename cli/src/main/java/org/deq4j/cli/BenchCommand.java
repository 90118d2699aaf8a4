package org.deq4j.cli;

import picocli.CommandLine.Command;

/** {@code deq4j bench}: the group of benchmarks; each benchmark is a subcommand class. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: time and memory.",
        subcommands = {BenchCoreCommand.class, BenchMemoryCommand.class, BenchTrainCommand.class})
final class BenchCommand extends CommandGroup {
    BenchCommand() {
        super("benchmark");
    }
}
