package org.deq4j.lm.token;

import java.nio.charset.StandardCharsets;

/**
 * One token per UTF-8 byte: ids 0-255 are the byte values. With {@link #withEndOfText()} id 256 is an
 * end-of-text token used as the document separator; without it documents are separated by a blank line
 * ({@code "\n\n"} as bytes). Meant for small CPU models: the vocabulary is tiny and no text is ever
 * out of vocabulary.
 */
public final class ByteTokenizer implements Tokenizer {

    /** Id of the end-of-text token when enabled. */
    public static final int END_OF_TEXT = 256;
    private static final String END_OF_TEXT_TEXT = "<|endoftext|>";

    private final boolean endOfText;

    private ByteTokenizer(boolean endOfText) {
        this.endOfText = endOfText;
    }

    /** 256 byte tokens; documents separated by {@code "\n\n"}. */
    public static ByteTokenizer plain() {
        return new ByteTokenizer(false);
    }

    /** 256 byte tokens plus end-of-text (id 256) as document separator; vocabulary 257. */
    public static ByteTokenizer withEndOfText() {
        return new ByteTokenizer(true);
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    /** End-of-text tokens decode to {@code <|endoftext|>}, like GPT-2's. */
    @Override
    public String decode(int[] tokens) {
        StringBuilder out = new StringBuilder(tokens.length);
        byte[] run = new byte[tokens.length];
        int runLength = 0;
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t >= 0 && t < 256) {
                run[runLength++] = (byte) t;
            } else if (endOfText && t == END_OF_TEXT) {
                out.append(new String(run, 0, runLength, StandardCharsets.UTF_8)).append(END_OF_TEXT_TEXT);
                runLength = 0;
            } else {
                throw new InvalidTokenException("token id " + t + " at position " + i
                        + " is outside the byte tokenizer's vocabulary [0, " + vocabSize() + ")");
            }
        }
        return out.append(new String(run, 0, runLength, StandardCharsets.UTF_8)).toString();
    }

    @Override
    public int vocabSize() {
        return endOfText ? 257 : 256;
    }

    @Override
    public String name() {
        return endOfText ? "bytes+eot" : "bytes";
    }

    @Override
    public int[] documentSeparator() {
        return endOfText ? new int[] {END_OF_TEXT} : new int[] {'\n', '\n'};
    }

    /** Any point except between the two halves of a surrogate pair. */
    @Override
    public int safeSplitPoint(CharSequence text) {
        int n = text.length();
        return n > 0 && Character.isHighSurrogate(text.charAt(n - 1)) ? n - 1 : n;
    }

    @Override
    public String toString() {
        return "ByteTokenizer[" + name() + "]";
    }
}
