package org.deq4j.train;

import java.util.OptionalLong;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A {@link ResumableIterator} over a fixed number of items per epoch whose order, position, batch
 * sizes and epoch rules are those of an {@link EpochCursor}; a subclass only assembles batches.
 *
 * <p>{@link #reset()} starts the next epoch unless the current one has not started;
 * {@link #asyncSupported()} is false because DL4J's prefetching would move the position ahead of what
 * the model consumed. Not thread-safe.
 */
public abstract class EpochIterator implements ResumableIterator {
    private static final long serialVersionUID = 1L;

    /** The order and position of this iterator. */
    protected final transient EpochCursor cursor;

    /** @param cursor the order and position, at the start of epoch 0 or wherever the subclass wants to begin */
    protected EpochIterator(EpochCursor cursor) {
        this.cursor = cursor;
    }

    /**
     * Delivers the next {@code count} items of the current epoch's order (starting at the cursor's
     * offset) as one batch and advances the cursor by {@code count}.
     *
     * @param count at least 1, at most the items left in the epoch
     */
    protected abstract DataSet take(int count);

    /** Batches served per epoch. */
    public int batchesPerEpoch() {
        return cursor.batchesPerEpoch();
    }

    /** The position for the trainer: epoch and items of it delivered. */
    @Override
    public StreamPosition streamPosition() {
        return cursor.position();
    }

    /**
     * Continues from {@code position}, as reported by {@link #streamPosition()}.
     *
     * @throws org.deq4j.core.InvalidConfigException if the offset is beyond the epoch's end
     */
    @Override
    public void seekStream(StreamPosition position) {
        cursor.seek(position);
    }

    /** Items per epoch. */
    @Override
    public OptionalLong itemsPerEpoch() {
        return OptionalLong.of(cursor.size());
    }

    @Override
    public boolean hasNext() {
        return cursor.hasNext();
    }

    /** @throws java.util.NoSuchElementException if the epoch is exhausted */
    @Override
    public DataSet next() {
        return take(cursor.nextCount());
    }

    /**
     * The next {@code num} items (fewer at the end of the epoch) as one batch, ignoring the configured batch size.
     *
     * @throws org.deq4j.core.InvalidConfigException if {@code num < 1}
     * @throws java.util.NoSuchElementException      if the epoch is exhausted
     */
    @Override
    public DataSet next(int num) {
        return take(cursor.nextCount(num));
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public void reset() {
        cursor.reset();
    }

    @Override
    public int batch() {
        return cursor.batchSize();
    }
}
