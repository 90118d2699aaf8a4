package org.deq4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Optional;

import org.deq4j.core.DeqException;
import org.deq4j.core.InvalidConfigException;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command line's one error handler: every failure of every command reaches the user as
 * {@code deq4j: error: <message>} (plus a hint where one helps) on stderr, with the exit code telling
 * a script what went wrong, like git or mvn do:
 * <ul>
 *   <li>2: bad usage: an unknown or malformed option, or a value out of range (picocli's
 *       {@link ParameterException} and deq4j's {@link InvalidConfigException});</li>
 *   <li>1: the run failed on its data or environment: missing, malformed or foreign files, a
 *       diverging solve, an unwritable output ({@link DeqException} and I/O errors);</li>
 *   <li>1 as well for a bug (anything else): then the stack trace is printed with a request to report it.</li>
 * </ul>
 * With {@code --verbose} (or {@code DEQ4J_DEBUG=1}) every error also prints its stack trace.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {
    static final int USAGE = 2;
    static final int FAILURE = 1;

    private final boolean verbose;

    ErrorReporter(boolean verbose) {
        this.verbose = verbose;
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("deq4j: error: " + e.getMessage());
        if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            // picocli's nearest option names, as git's "did you mean"
            err.println("hint: did you mean " + String.join(" or ", u.getSuggestions()) + "?");
        }
        err.println(helpHint(cl));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        Optional<DeqException> known = cause(e, DeqException.class);
        Optional<IOException> io = cause(e, IOException.class);
        int code;
        if (known.isPresent()) {
            err.println("deq4j: error: " + known.get().getMessage());
            if (known.get() instanceof InvalidConfigException) {
                code = USAGE;
                err.println(helpHint(cl));
                if (verbose) {
                    e.printStackTrace(err);
                }
            } else {
                code = FAILURE;
                trace(err, e);
            }
        } else if (io.isPresent()) {
            err.println("deq4j: error: " + io.get().getMessage());
            code = FAILURE;
            trace(err, e);
        } else {
            err.println("deq4j: internal error: " + e);
            e.printStackTrace(err);
            err.println("This is a bug in deq4j: please report it with the command line and the trace above.");
            code = FAILURE;
        }
        err.flush();
        return code;
    }

    private void trace(PrintWriter err, Exception e) {
        if (verbose) {
            e.printStackTrace(err);
        } else {
            err.println("(run with --verbose for the stack trace)");
        }
    }

    /** The first throwable of {@code type} in {@code e}'s cause chain (DL4J wraps some of ours). */
    private static <T extends Throwable> Optional<T> cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
            if (t instanceof UncheckedIOException u && type.isInstance(u.getCause())) {
                return Optional.of(type.cast(u.getCause()));
            }
        }
        return Optional.empty();
    }

    /** "hint: see 'deq4j lm train --help'" for {@code deq4j lm train}. */
    private static String helpHint(CommandLine cl) {
        return "hint: see '" + cl.getCommandSpec().qualifiedName(" ") + " --help'";
    }
}
