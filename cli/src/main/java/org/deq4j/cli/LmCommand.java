package org.deq4j.cli;

import picocli.CommandLine.Command;

/** {@code deq4j lm}: the DEQ-transformer language model (train, eval, generate). */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "DEQ-transformer language model: train, evaluate (perplexity, bits per byte), generate.",
        subcommands = {LmTrainCommand.class, LmEvalCommand.class, LmGenerateCommand.class})
final class LmCommand extends CommandGroup {
    LmCommand() {
        super("command");
    }
}
