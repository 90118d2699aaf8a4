package org.deq4j.lm.corpus;

/** A corpus, or a folder or split file in it, holds no text. */
public class EmptyCorpusException extends CorpusException {
    private static final long serialVersionUID = 1L;

    public EmptyCorpusException(String message) {
        super(message);
    }
}
