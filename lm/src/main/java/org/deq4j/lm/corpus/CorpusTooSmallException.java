package org.deq4j.lm.corpus;

/**
 * A token stream is too short for the requested windows: it needs at least {@code context + 1} tokens
 * (one window); the message gives both numbers.
 */
public class CorpusTooSmallException extends CorpusException {
    private static final long serialVersionUID = 1L;

    public CorpusTooSmallException(String message) {
        super(message);
    }
}
