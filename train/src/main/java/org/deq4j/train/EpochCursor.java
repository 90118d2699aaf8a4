package org.deq4j.train;

import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.function.IntToLongFunction;
import org.deq4j.core.InvalidConfigException;

/**
 * The bookkeeping shared by {@link ResumableIterator}s over a fixed number of items: the visiting
 * order of each epoch, how many items of the current epoch have been delivered, batch sizes at the
 * end of an epoch, and the reset and seek rules. The iterator only turns item indices into arrays.
 *
 * <p>Order: a shuffled cursor visits epoch {@code e} in the Fisher-Yates permutation of a
 * {@link SplittableRandom} seeded with {@code epochSeed(e)}, so the order is a pure function of the
 * epoch and a resumed run sees the batches an uninterrupted one would have; an in-order cursor
 * visits items {@code 0 .. size-1}.
 *
 * <p>Epochs: {@link #reset()} starts the next epoch only if the current one has started, so a DL4J
 * {@code fit} that resets before its first epoch does not skip one. Not thread-safe; the arrays
 * returned by {@link #order()} are never modified afterwards, so they may be handed to other threads.
 */
public final class EpochCursor {
    private final int size;
    private final String items;
    private final int batchSize;
    private final boolean dropLast;
    private final boolean shuffle;
    private final IntToLongFunction epochSeed;
    private int epoch;
    private int offset;
    private int[] order;
    private int orderEpoch = -1;

    private EpochCursor(int size, String items, int batchSize, boolean dropLast, boolean shuffle,
            IntToLongFunction epochSeed) {
        if (size < 0) {
            throw new InvalidConfigException("an epoch needs >= 0 " + items + ", got " + size);
        }
        if (batchSize < 1) {
            throw new InvalidConfigException("batch size must be >= 1, got " + batchSize);
        }
        this.size = size;
        this.items = items;
        this.batchSize = batchSize;
        this.dropLast = dropLast;
        this.shuffle = shuffle;
        this.epochSeed = epochSeed;
    }

    /**
     * A cursor whose epochs visit the items in a seeded random order.
     *
     * @param size      items per epoch
     * @param items     what the items are, for messages (e.g. {@code "windows"}, {@code "images of mnist"})
     * @param batchSize items per batch
     * @param dropLast  whether an epoch's last, smaller batch is skipped
     * @param epochSeed the seed of epoch {@code e}'s permutation
     * @throws InvalidConfigException if {@code size < 0} or {@code batchSize < 1}
     */
    public static EpochCursor shuffled(int size, String items, int batchSize, boolean dropLast,
            IntToLongFunction epochSeed) {
        return new EpochCursor(size, items, batchSize, dropLast, true, epochSeed);
    }

    /**
     * A cursor whose epochs visit the items in index order; parameters as in {@link #shuffled}.
     *
     * @throws InvalidConfigException if {@code size < 0} or {@code batchSize < 1}
     */
    public static EpochCursor inOrder(int size, String items, int batchSize, boolean dropLast) {
        return new EpochCursor(size, items, batchSize, dropLast, false, e -> 0L);
    }

    /** Items per epoch. */
    public int size() {
        return size;
    }

    /** Items per batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Whether an epoch's last, smaller batch is skipped. */
    public boolean dropLast() {
        return dropLast;
    }

    /** The current epoch, from 0. */
    public int epoch() {
        return epoch;
    }

    /** Items of the current epoch already delivered. */
    public int offset() {
        return offset;
    }

    /** {@link #epoch()} and {@link #offset()} as the trainer saves them. */
    public StreamPosition position() {
        return new StreamPosition(epoch, offset);
    }

    /**
     * Moves to {@code position}: the next batch starts at item {@code offset} of epoch {@code epoch}'s order.
     *
     * @throws InvalidConfigException if the offset is beyond the end of an epoch
     */
    public void seek(StreamPosition position) {
        if (position.offset() > size) {
            throw new InvalidConfigException("position " + position + " is beyond the " + size + " " + items
                    + " of an epoch");
        }
        epoch = position.epoch();
        offset = (int) position.offset();
    }

    /** Batches served per epoch. */
    public int batchesPerEpoch() {
        return dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /** Whether the current epoch has another batch (a full one if {@link #dropLast()}). */
    public boolean hasNext() {
        int remaining = size - offset;
        return dropLast ? remaining >= batchSize : remaining > 0;
    }

    /**
     * The size of the next batch of the configured size: smaller only at the end of an epoch.
     *
     * @throws NoSuchElementException if the epoch is exhausted ({@link #hasNext()} is false)
     */
    public int nextCount() {
        if (!hasNext()) {
            throw exhausted();
        }
        return Math.min(batchSize, size - offset);
    }

    /**
     * The size of a batch of {@code requested} items (DL4J's {@code next(num)}): fewer at the end of
     * an epoch, regardless of {@link #dropLast()}.
     *
     * @throws InvalidConfigException  if {@code requested < 1}
     * @throws NoSuchElementException if no item of the epoch is left
     */
    public int nextCount(int requested) {
        if (requested < 1) {
            throw new InvalidConfigException("batch size must be >= 1, got " + requested);
        }
        if (offset >= size) {
            throw exhausted();
        }
        return Math.min(requested, size - offset);
    }

    private NoSuchElementException exhausted() {
        return new NoSuchElementException("epoch " + epoch + " of the " + size + " " + items
                + " is exhausted; call reset() for the next epoch");
    }

    /** Records that {@code count} more items of the current epoch were delivered. */
    public void advance(int count) {
        if (count < 0 || count > size - offset) {
            throw new InvalidConfigException("cannot advance by " + count + " with " + (size - offset) + " "
                    + items + " left in the epoch");
        }
        offset += count;
    }

    /** Starts the next epoch, unless the current one has not started. */
    public void reset() {
        if (offset > 0) {
            epoch++;
            offset = 0;
        }
    }

    /** The item indices of the current epoch in visiting order (cached; do not modify). */
    public int[] order() {
        if (orderEpoch != epoch) {
            order = order(epoch);
            orderEpoch = epoch;
        }
        return order;
    }

    /** The item indices of {@code epoch} in visiting order, as a new array. */
    public int[] order(int epoch) {
        int[] perm = new int[size];
        for (int i = 0; i < size; i++) {
            perm[i] = i;
        }
        if (shuffle) {
            SplittableRandom random = new SplittableRandom(epochSeed.applyAsLong(epoch));
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        return perm;
    }
}
