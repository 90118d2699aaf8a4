package org.deq4j.lm.corpus;

/**
 * Receives a corpus split as it is read: the text of a document in one or more chunks, then
 * {@link #endDocument()}. Chunks never split a surrogate pair.
 */
public interface DocumentSink {

    /** More text of the current document. */
    void text(String chunk);

    /** The current document is complete. */
    void endDocument();
}
