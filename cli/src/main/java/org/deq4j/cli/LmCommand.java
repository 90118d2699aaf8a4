package org.deq4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code deq4j lm}: the DEQ-transformer language model (train, eval, generate). */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "DEQ-transformer language model: train, evaluate (perplexity, bits per byte), generate.",
        subcommands = {LmTrainCommand.class, LmEvalCommand.class, LmGenerateCommand.class})
final class LmCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: choose one of "
                + spec.subcommands().keySet());
    }
}
