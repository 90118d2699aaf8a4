package org.deq4j.lm.corpus;

import java.util.Objects;

/**
 * One text of a single-source corpus, held in memory.
 *
 * @param name where it came from (file path relative to the corpus root, or a resource name)
 * @param text its full text
 */
public record Document(String name, String text) {

    public Document {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(text, "text");
    }

    /** Name and length only: the text can be megabytes. */
    @Override
    public String toString() {
        return "Document[" + name + ", " + text.length() + " chars]";
    }
}
