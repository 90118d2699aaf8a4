package org.deq4j.cli;

import java.util.List;
import java.util.Set;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Which options of {@code train} and {@code lm train} may accompany {@code --resume}: those that bound or
 * report this invocation only. Every other option describes the run, whose settings come from the
 * checkpoint; giving one with {@code --resume} is refused rather than silently ignored, including options
 * added later. The sweep runner resumes an interrupted cell with exactly these options.
 */
final class ResumeOptions {
    /** Long names of the options of one invocation (each command has the ones that apply to it). */
    static final Set<String> PER_INVOCATION = Set.of("--resume", "--epochs", "--max-steps", "--time-budget",
            "--checkpoint-every", "--progress", "--eval-windows", "--dry-run");

    private ResumeOptions() {
    }

    /**
     * @throws ParameterException naming every option given to {@code spec}'s command that would change the
     *         resumed run's settings
     */
    static void refuseRunOptions(CommandSpec spec) {
        List<String> given = spec.commandLine().getParseResult().matchedOptions().stream()
                .filter(o -> !o.inherited() && !o.usageHelp() && !o.versionHelp())
                .map(OptionSpec::longestName).filter(n -> !PER_INVOCATION.contains(n)).distinct().toList();
        if (!given.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--resume continues the run with the settings stored in"
                    + " its checkpoint; " + String.join(", ", given) + " cannot change them (only "
                    + String.join(", ", spec.options().stream().map(OptionSpec::longestName)
                            .filter(n -> PER_INVOCATION.contains(n) && !n.equals("--resume")).sorted().toList())
                    + " may be given with it)");
        }
    }
}
