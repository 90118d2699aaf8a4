package org.deq4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

import picocli.CommandLine;

/**
 * One in-process run of the command line, as the tests see it.
 *
 * @param exit the exit code
 * @param out  what the command printed on stdout
 * @param err  what it printed on stderr
 */
record CliRun(int exit, String out, String err) {

    /** Runs {@code deq4j args...} with {@link Main#commandLine()}, capturing both streams. */
    static CliRun of(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new CliRun(cl.execute(args), out.toString(), err.toString());
    }
}
