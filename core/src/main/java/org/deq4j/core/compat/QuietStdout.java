package org.deq4j.core.compat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Removes one known line of ND4J chatter from {@code System.out}: around one action, or for the whole
 * process (the command line).
 *
 * <p>ND4J 1.0.0-M2.1's {@code SameDiff.createGradFunction} prints "Added differentiated op ..." with
 * {@code System.out.println} for every op it differentiates (not through its logger, so logging
 * configuration cannot silence it); a transformer cell prints over a hundred such lines. Only those
 * lines are dropped: anything else written to {@code System.out}, by any thread, is passed through
 * unchanged, line by line. {@code QuietStdoutTest} fails when ND4J stops printing them, so this class
 * can go then.
 */
public final class QuietStdout {
    private static final String CHATTER = "Added differentiated op ";

    private QuietStdout() {
    }

    /**
     * Filters the chatter out of {@code System.out} from now on, for programs that own the process (the
     * command line). Idempotent.
     */
    public static synchronized void install() {
        if (!(System.out instanceof Filtered)) {
            System.setOut(new Filtered(new LineFilter(System.out)));
        }
    }

    /** Runs {@code action} with the chatter filtered out of {@code System.out}. */
    public static synchronized void run(Runnable action) {
        PrintStream original = System.out;
        LineFilter filter = new LineFilter(original);
        System.setOut(new PrintStream(filter, true));
        try {
            action.run();
        } finally {
            System.setOut(original);
            filter.flushPartialLine();
        }
    }

    /** The stream {@link #install} sets, recognisable so that a second call does not wrap it again. */
    private static final class Filtered extends PrintStream {
        Filtered(LineFilter filter) {
            super(filter, true);
        }
    }

    /** Buffers one line at a time and forwards every line that is not chatter. */
    private static final class LineFilter extends OutputStream {
        private final PrintStream target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineFilter(PrintStream target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            line.write(b);
            if (b == '\n') {
                forwardLine();
            }
        }

        private void forwardLine() {
            // The chatter is ASCII: a byte-preserving decoding is enough to recognise it.
            if (!line.toString(StandardCharsets.ISO_8859_1).startsWith(CHATTER)) {
                target.write(line.toByteArray(), 0, line.size());
                target.flush();
            }
            line.reset();
        }

        synchronized void flushPartialLine() {
            if (line.size() > 0) {
                forwardLine();
            }
        }
    }
}
