package org.deq4j.train;

import org.deq4j.core.InvalidConfigException;

/**
 * Where a {@link ResumableIterator} stands: {@code offset} items (images, windows, ...) of epoch
 * {@code epoch} have been delivered. Epochs count from 0. Saved in every checkpoint so that a resumed
 * run continues with the batch an uninterrupted run would have seen next.
 *
 * @param epoch  0-based epoch of the iterator
 * @param offset items of that epoch already delivered
 */
public record StreamPosition(int epoch, long offset) {

    /** The beginning of epoch 0. */
    public static final StreamPosition START = new StreamPosition(0, 0);

    /** @throws InvalidConfigException if either value is negative */
    public StreamPosition {
        if (epoch < 0 || offset < 0) {
            throw new InvalidConfigException("stream position needs epoch >= 0 and offset >= 0, got epoch=" + epoch
                    + ", offset=" + offset);
        }
    }
}
