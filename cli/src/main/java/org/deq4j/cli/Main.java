package org.deq4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code deq4j} command line. Each subcommand is one class, registered in {@code subcommands}
 * below (nested groups such as {@code bench} register their own). Exit codes: 0 success, 1 a
 * failed check or an error, 2 bad usage; every error is reported by {@link ErrorReporter}.
 *
 * <p>Quiet by default: ND4J's and DL4J's start-up banners and warnings and ND4J's autodiff chatter on
 * stdout are hidden; {@code --verbose} (any position) or {@code DEQ4J_DEBUG=1} shows them and adds
 * stack traces to errors. A command with a {@code --config FILE} option takes option values from that run
 * file ({@link RunFileOption#execute}).
 */
@Command(name = "deq4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Deep Equilibrium Models (DEQs) and Reversible DEQ (RevDEQ) for Deeplearning4j / ND4J.",
        subcommands = {TrainCommand.class, EvalCommand.class, LmCommand.class, SweepCommand.class,
                GradcheckCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main extends CommandGroup {
    /** The root command; {@link #commandLine()} wraps it for execution. */
    public Main() {
        super("command");
    }

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Show library logging and ND4J's output, and stack traces with errors (also DEQ4J_DEBUG=1).")
    private boolean verbose;

    /** The configured command line, for {@link #main} and for tests (errors without stack traces). */
    public static CommandLine commandLine() {
        return commandLine(false);
    }

    private static CommandLine commandLine(boolean verbose) {
        ErrorReporter errors = new ErrorReporter(verbose);
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionStrategy(RunFileOption::execute)
                .setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors);
    }

    public static void main(String[] args) {
        boolean verbose = "1".equals(System.getenv("DEQ4J_DEBUG")) || Arrays.asList(args).contains("--verbose");
        Logging.configure(verbose);
        System.exit(commandLine(verbose).execute(args));
    }

    /** The project version, from the build (resource {@code deq4j-version.properties}). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/deq4j-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"deq4j " + p.getProperty("version", "(unknown version)")
                    + " on Deeplearning4j/ND4J " + p.getProperty("dl4j.version", "(unknown)")
                    + ", Java " + System.getProperty("java.version")};
        }
    }
}
