package org.deq4j.lm.token;

import org.deq4j.core.InvalidConfigException;

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

    /**
     * A built-in tokenizer by name, for command lines and configuration files: {@code gpt2} (50,257),
     * {@code gpt2-padded} (GPT-2 with the model vocabulary padded to 50,304), {@code bytes} (256) or
     * {@code bytes+eot} (257).
     *
     * @throws InvalidConfigException for any other name
     */
    static Tokenizer named(String name) {
        return switch (name) {
            case "gpt2" -> Gpt2Tokenizer.create();
            case "gpt2-padded" -> Gpt2Tokenizer.padded();
            case "bytes" -> ByteTokenizer.plain();
            case "bytes+eot" -> ByteTokenizer.withEndOfText();
            default -> throw new InvalidConfigException("unknown tokenizer '" + name
                    + "'; choose gpt2, gpt2-padded, bytes or bytes+eot");
        };
    }

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
