package org.deq4j.core.cell;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs an action with one known line of ND4J chatter removed from {@code System.out}.
 *
 * <p>ND4J 1.0.0-M2.1's {@code SameDiff.createGradFunction} prints "Added differentiated op ..." with
 * {@code System.out.println} for every op it differentiates (not through its logger, so logging
 * configuration cannot silence it); a transformer cell prints over a hundred such lines. Only those
 * lines are dropped, and only while the action runs: anything else written to {@code System.out}
 * meanwhile, by any thread, is passed through unchanged, line by line.
 */
final class QuietStdout {
    private static final String CHATTER = "Added differentiated op ";

    private QuietStdout() {
    }

    /** Runs {@code action} with the chatter filtered out of {@code System.out}. */
    static synchronized void run(Runnable action) {
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
