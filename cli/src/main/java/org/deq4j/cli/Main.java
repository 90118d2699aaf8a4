package org.deq4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code deq4j} command line. Each subcommand is one class, registered in {@code subcommands}
 * below (nested groups such as {@code bench} register their own). Exit codes: 0 success, 1 a
 * failed check or an error, 2 bad usage.
 */
@Command(name = "deq4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Deep Equilibrium Models (DEQs) and Reversible DEQ (RevDEQ) for Deeplearning4j / ND4J.",
        subcommands = {TrainCommand.class, EvalCommand.class, LmCommand.class, GradcheckCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main extends CommandGroup {
    /** The root command; {@link #commandLine()} wraps it for execution. */
    public Main() {
        super("command");
    }

    /** The configured command line, for {@link #main} and for tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
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
