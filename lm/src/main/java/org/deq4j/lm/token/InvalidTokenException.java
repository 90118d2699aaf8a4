package org.deq4j.lm.token;

import org.deq4j.core.DeqException;

/** A token id given to {@link Tokenizer#decode} is outside the tokenizer's vocabulary. */
public class InvalidTokenException extends DeqException {
    private static final long serialVersionUID = 1L;

    public InvalidTokenException(String message) {
        super(message);
    }
}
