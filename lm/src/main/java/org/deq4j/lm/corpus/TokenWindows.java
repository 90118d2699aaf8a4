package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;

/**
 * Non-overlapping training windows over a token stream. Window {@code i} covers tokens
 * {@code [i*context, i*context + context]} ({@code context + 1} tokens): its input is the first
 * {@code context}, its target the last {@code context}, i.e. the input shifted left by one. Consecutive
 * windows share one token, so every token after the first is a target exactly once; the
 * {@code (n - 1) mod context} tokens at the end that do not fill a window are not used.
 */
public final class TokenWindows {

    private final int[] tokens;
    private final int context;
    private final int count;

    /**
     * @param tokens  the stream (not copied)
     * @param context window length {@code >= 1}
     * @param label   what the stream is, for error messages (e.g. {@code "validation split"})
     * @throws CorpusTooSmallException if {@code tokens.length < context + 1}
     */
    public TokenWindows(int[] tokens, int context, String label) {
        if (context < 1) {
            throw new InvalidConfigException("context length must be >= 1, got " + context);
        }
        if (tokens.length < (long) context + 1) {
            throw new CorpusTooSmallException("the " + label + " has " + tokens.length + " tokens but context "
                    + context + " needs at least " + ((long) context + 1) + " (context + 1) for one window;"
                    + " use a larger corpus or a shorter context");
        }
        this.tokens = tokens;
        this.context = context;
        this.count = (tokens.length - 1) / context;
    }

    /** Number of windows. */
    public int count() {
        return count;
    }

    /** Tokens per input (and per target). */
    public int context() {
        return context;
    }

    /** Number of tokens predicted across all windows: {@code count() * context()}. */
    public long targetTokens() {
        return (long) count * context;
    }

    /** Copies the input of window {@code index} into {@code dst[offset, offset + context)}. */
    public void copyInput(int index, int[] dst, int offset) {
        System.arraycopy(tokens, start(index), dst, offset, context);
    }

    /** Copies the target of window {@code index} (input shifted by one) into {@code dst[offset, offset + context)}. */
    public void copyTarget(int index, int[] dst, int offset) {
        System.arraycopy(tokens, start(index) + 1, dst, offset, context);
    }

    /** The input of window {@code index}. */
    public int[] input(int index) {
        int[] out = new int[context];
        copyInput(index, out, 0);
        return out;
    }

    /** The target of window {@code index}. */
    public int[] target(int index) {
        int[] out = new int[context];
        copyTarget(index, out, 0);
        return out;
    }

    private int start(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("window " + index + " of " + count);
        }
        return index * context;
    }
}
