package org.deq4j.lm.corpus;

/**
 * A text collection with a fixed train / validation / test division. Implementations stream each split
 * to a {@link DocumentSink}, so a corpus larger than memory (WikiText-103's 540 MB training file) is never
 * held as one string; {@link TokenizedCorpus#of} turns a corpus into token arrays.
 *
 * @see Corpora for the built-in sources
 */
public interface Corpus {

    /** Short identifier, e.g. {@code austen} or a file name. */
    String name();

    /** Where the text comes from and how it was divided into splits. */
    String description();

    /**
     * Sends the documents of one split, in order, to {@code sink}.
     *
     * @throws CorpusException if a file disappeared or is not valid UTF-8
     */
    void read(Split split, DocumentSink sink);
}
