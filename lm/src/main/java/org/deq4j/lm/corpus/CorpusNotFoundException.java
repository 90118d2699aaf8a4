package org.deq4j.lm.corpus;

/** A corpus file or folder does not exist or cannot be read; the message says what was expected. */
public class CorpusNotFoundException extends CorpusException {
    private static final long serialVersionUID = 1L;

    public CorpusNotFoundException(String message) {
        super(message);
    }

    public CorpusNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
