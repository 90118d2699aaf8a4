package org.deq4j.core.exec;

/**
 * Thrown when a graph holds an operation or a control-flow form that {@link GraphProgram} does not
 * run (for example a nested while loop, a TensorArray or a random op); callers fall back to
 * SameDiff's own execution.
 */
public final class UnsupportedGraphException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedGraphException(String message) {
        super(message);
    }
}
