package org.deq4j.lm.token;

import java.util.Arrays;
import org.deq4j.core.InvalidConfigException;

/**
 * Encodes text that arrives in pieces (a large file read chunk by chunk) into one token array, with the
 * same result as encoding each document in one call. Pending text is encoded once it exceeds a block
 * size, up to the tokenizer's {@link Tokenizer#safeSplitPoint safe split point}; documents are joined
 * with the tokenizer's {@link Tokenizer#documentSeparator() separator}. Not thread-safe.
 */
public final class StreamingEncoder {

    /** Default pending-text size, in chars, before an encode is attempted. */
    public static final int DEFAULT_BLOCK_CHARS = 1 << 20;

    private final Tokenizer tokenizer;
    private final int blockChars;
    private final StringBuilder pending = new StringBuilder();
    private int nextAttempt;
    private int[] tokens = new int[1024];
    private int size;
    private int documents;
    private boolean documentOpen;

    public StreamingEncoder(Tokenizer tokenizer) {
        this(tokenizer, DEFAULT_BLOCK_CHARS);
    }

    /** @throws InvalidConfigException if {@code blockChars < 1} */
    public StreamingEncoder(Tokenizer tokenizer, int blockChars) {
        if (blockChars < 1) {
            throw new InvalidConfigException("blockChars must be >= 1, got " + blockChars);
        }
        this.tokenizer = tokenizer;
        this.blockChars = blockChars;
        this.nextAttempt = blockChars;
    }

    /** Appends text to the current document (opening one if needed). */
    public void append(CharSequence text) {
        if (text.length() == 0) {
            return;
        }
        if (!documentOpen) {
            if (documents > 0) {
                add(tokenizer.documentSeparator());
            }
            documentOpen = true;
            documents++;
        }
        pending.append(text);
        if (pending.length() >= nextAttempt) {
            int cut = tokenizer.safeSplitPoint(pending);
            if (cut > 0) {
                add(tokenizer.encode(pending.substring(0, cut)));
                pending.delete(0, cut);
                nextAttempt = Math.max(blockChars, pending.length() + 1);
            } else {
                // No safe point yet: wait for twice as much text so retries stay linear overall.
                nextAttempt = pending.length() * 2;
            }
        }
    }

    /** Ends the current document; documents without text are dropped (no separator). */
    public void endDocument() {
        if (pending.length() > 0) {
            add(tokenizer.encode(pending.toString()));
            pending.setLength(0);
        }
        pending.trimToSize();
        nextAttempt = blockChars;
        documentOpen = false;
    }

    /** Number of non-empty documents seen so far. */
    public int documents() {
        return documents;
    }

    /** Ends any open document and returns all tokens. */
    public int[] finish() {
        endDocument();
        return Arrays.copyOf(tokens, size);
    }

    private void add(int[] more) {
        if (size + more.length > tokens.length) {
            long grown = Math.max((long) tokens.length * 3 / 2, (long) size + more.length);
            if (grown > Integer.MAX_VALUE - 8) {
                throw new InvalidConfigException("token stream exceeds " + (Integer.MAX_VALUE - 8)
                        + " tokens; split the corpus into smaller parts");
            }
            tokens = Arrays.copyOf(tokens, (int) grown);
        }
        System.arraycopy(more, 0, tokens, size, more.length);
        size += more.length;
    }
}
