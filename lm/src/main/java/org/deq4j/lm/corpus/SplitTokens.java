package org.deq4j.lm.corpus;

/**
 * One split as a token stream.
 *
 * @param split     which split
 * @param tokens    token ids, documents joined by the tokenizer's separator; not copied, do not modify
 * @param textBytes UTF-8 bytes of the split's text (separators excluded): the denominator of
 *                  bits-per-byte, the same for every tokenizer
 * @param documents number of non-empty documents (or document pieces) in the split
 *
 * <p>As for any record holding an array, {@code equals} compares the array by identity.
 */
public record SplitTokens(Split split, int[] tokens, long textBytes, int documents) {

    /** Number of tokens. */
    public int size() {
        return tokens.length;
    }

    /**
     * Windows of {@code context + 1} tokens over this split.
     *
     * @throws CorpusTooSmallException if the split has fewer than {@code context + 1} tokens
     */
    public TokenWindows windows(int context) {
        return new TokenWindows(tokens, context, split.label() + " split");
    }

    @Override
    public String toString() {
        return "SplitTokens[" + split.label() + ", " + tokens.length + " tokens, " + textBytes + " bytes, "
                + documents + " documents]";
    }
}
