package org.deq4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The {@code --config FILE} option of {@code train} and {@code lm train} (a picocli mixin) and the command
 * line's execution strategy that applies it ({@link #execute}): the run file ({@link RunFile}) is read before
 * the command runs and the command line parsed again with the file's values for the options not given on
 * it, so the command itself never reads this field.
 */
final class RunFileOption {
    /** The option's name. */
    static final String NAME = "--config";

    @Option(names = NAME, paramLabel = "FILE", description = "Run file (YAML): option values keyed by option name"
            + " without --, e.g. 'solver-steps: 4'; options given on the command line override it. See"
            + " docs/experiments.md.")
    private Path file;

    /**
     * The command line's execution strategy: a command given {@code --config FILE} is parsed again with the
     * file's values inserted after it, for each option the command line did not give, then run as usual.
     *
     * @throws ParameterException for an unreadable or invalid run file, or a value its option refuses
     */
    static int execute(ParseResult parsed) {
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        OptionSpec option = leaf.commandSpec().findOption(NAME);
        boolean help = leaf.isUsageHelpRequested() || leaf.isVersionHelpRequested();
        if (option == null || help || !leaf.hasMatchedOption(option)) {
            return new CommandLine.RunLast().execute(parsed);
        }
        CommandSpec command = leaf.commandSpec();
        RunFile file = RunFile.read(command.commandLine(), option.getValue());
        file.requireOptionsOf(command);
        ParseResult given = leaf;
        List<String> extra = RunFile.args(command, file.values(), given::hasMatchedOption, file.path());
        if (extra.isEmpty()) {
            return new CommandLine.RunLast().execute(parsed);
        }
        List<String> args = new ArrayList<>(parsed.originalArgs());
        args.addAll(afterConfig(args), extra);
        CommandLine root = parsed.commandSpec().commandLine();
        return new CommandLine.RunLast().execute(root.parseArgs(args.toArray(new String[0])));
    }

    /** The position just after the (last) {@code --config FILE} of {@code args}. */
    private static int afterConfig(List<String> args) {
        for (int i = args.size() - 1; i >= 0; i--) {
            if (args.get(i).startsWith(NAME + "=")) {
                return i + 1;
            }
            if (args.get(i).equals(NAME)) {
                return i + 2;
            }
        }
        throw new IllegalStateException("--config was matched but is not among the arguments " + args);
    }
}
