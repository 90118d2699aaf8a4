package org.deq4j.core.exec;

/**
 * Thrown by {@link GraphProgram#run} when a while loop's body has to run but never ran while the
 * program was compiled, so its buffers were never planned. Nothing visible has been written; compile
 * again with the current placeholders (which traces the body) and run that program instead.
 */
public final class RetraceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RetraceException(String message) {
        super(message);
    }
}
