package org.deq4j.lm.token;

/**
 * Turns text into token ids and back.
 *
 * <p>Contract: {@code decode(encode(s)).equals(s)} for every string {@code s} that is valid UTF-16 (no
 * unpaired surrogates). {@link #encode} never produces special tokens; they only enter a token stream as
 * {@link #documentSeparator() document separators}. {@link #decode} accepts any id below
 * {@link #vocabSize()} and replaces byte sequences that are not valid UTF-8 (possible when a model
 * generates tokens freely) with U+FFFD; an id outside {@code [0, vocabSize())} raises
 * {@link InvalidTokenException}.
 */
public interface Tokenizer {

    /** Token ids of {@code text}, without special tokens. */
    int[] encode(String text);

    /** The text that {@code tokens} stand for. @throws InvalidTokenException for an unknown id */
    String decode(int[] tokens);

    /** Number of distinct ids the tokenizer can produce or decode, special tokens included. */
    int vocabSize();

    /**
     * Number of rows a model's embedding and output layer should have: {@link #vocabSize()} or more, rounded
     * up for hardware-friendly shapes. Ids in {@code [vocabSize(), paddedVocabSize())} are never produced by
     * {@link #encode} and a model should learn to give them no probability.
     */
    default int paddedVocabSize() {
        return vocabSize();
    }

    /** Short stable identifier, e.g. {@code gpt2} or {@code bytes}. */
    String name();

    /** Tokens placed between two documents when a corpus is turned into one token stream. */
    int[] documentSeparator();

    /**
     * The largest {@code p <= text.length()} such that encoding {@code text[0, p)} on its own and then
     * whatever follows gives the same tokens as encoding everything at once; 0 when no such point is
     * known. Streaming encoders cut long texts only at these points, so the default (0: never cut) is
     * always correct but makes them hold a whole document in memory.
     */
    default int safeSplitPoint(CharSequence text) {
        return 0;
    }
}
