package org.deq4j.lm.corpus;

import org.deq4j.core.DeqException;

/** Base of the errors raised while finding, reading, splitting or windowing a text corpus. */
public class CorpusException extends DeqException {
    private static final long serialVersionUID = 1L;

    public CorpusException(String message) {
        super(message);
    }

    public CorpusException(String message, Throwable cause) {
        super(message, cause);
    }
}
