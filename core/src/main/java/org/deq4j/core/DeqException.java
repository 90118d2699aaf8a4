package org.deq4j.core;

/**
 * Base of every error deq4j raises on purpose. Each subclass names one kind of problem so callers
 * can catch it precisely; the message always says what was wrong and, where it helps, what to do.
 */
public class DeqException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeqException(String message) {
        super(message);
    }

    public DeqException(String message, Throwable cause) {
        super(message, cause);
    }
}
