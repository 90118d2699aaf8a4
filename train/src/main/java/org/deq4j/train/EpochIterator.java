package org.deq4j.train;

import java.util.List;
import java.util.OptionalLong;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

/**
 * A {@link ResumableIterator} over a fixed number of items per epoch: the order, position, batch
 * sizes and epoch rules are those of an {@link EpochCursor}, and a {@link Batches} function turns the
 * items at the cursor into a {@link DataSet}. Data types (images, token windows) supply the function
 * and the column counts; they do not subclass this class. A type that adds API of its own on top
 * forwards to an instance through {@link ForwardingEpochIterator}.
 *
 * <p>{@link #reset()} starts the next epoch unless the current one has not started. The cursor
 * advances only after a batch has been assembled and pre-processed, so a batch whose assembly or
 * pre-processing throws is served again by the next call rather than skipped. {@link #asyncSupported()}
 * is false because DL4J's prefetching would move the position ahead of what the model consumed.
 * Not thread-safe.
 */
public final class EpochIterator implements ResumableIterator {
    private static final long serialVersionUID = 1L;

    /**
     * Assembles batches for an {@link EpochIterator}.
     */
    @FunctionalInterface
    public interface Batches {
        /**
         * Assembles items {@code cursor.order()[cursor.offset() .. cursor.offset() + count)} of epoch
         * {@code cursor.epoch()}, in that order, as one batch. Must not move the cursor: the iterator
         * advances it once the batch is returned. Exceptions propagate to the caller of {@code next}.
         *
         * @param count at least 1, at most the items left in the epoch
         */
        DataSet assemble(EpochCursor cursor, int count);
    }

    private final transient EpochCursor cursor;
    private final transient Batches batches;
    private final int inputColumns;
    private final int totalOutcomes;
    private final transient List<String> labels;
    private transient DataSetPreProcessor preProcessor;

    private EpochIterator(EpochCursor cursor, int inputColumns, int totalOutcomes, List<String> labels,
            Batches batches) {
        this.cursor = cursor;
        this.inputColumns = inputColumns;
        this.totalOutcomes = totalOutcomes;
        this.labels = labels;
        this.batches = batches;
    }

    /**
     * An iterator that serves the items of {@code cursor}, from wherever it stands, as {@code batches}
     * assembles them.
     *
     * @param cursor        the order and position, usually at the start of epoch 0; owned by the
     *                      iterator from now on (read it, but move it only through the iterator)
     * @param inputColumns  what {@link #inputColumns()} reports (feature width)
     * @param totalOutcomes what {@link #totalOutcomes()} reports (classes)
     * @param labels        the class names for {@link #getLabels()}, or null when the classes have no names
     * @param batches       turns the items at the cursor into a batch
     */
    public static EpochIterator of(EpochCursor cursor, int inputColumns, int totalOutcomes, List<String> labels,
            Batches batches) {
        return new EpochIterator(cursor, inputColumns, totalOutcomes, labels, batches);
    }

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
        return serve(cursor.nextCount());
    }

    /**
     * The next {@code num} items (fewer at the end of the epoch) as one batch, ignoring the configured batch size.
     *
     * @throws org.deq4j.core.InvalidConfigException if {@code num < 1}
     * @throws java.util.NoSuchElementException      if the epoch is exhausted
     */
    @Override
    public DataSet next(int num) {
        return serve(cursor.nextCount(num));
    }

    private DataSet serve(int count) {
        DataSet batch = batches.assemble(cursor, count);
        if (preProcessor != null) {
            preProcessor.preProcess(batch);
        }
        cursor.advance(count);
        return batch;
    }

    @Override
    public int inputColumns() {
        return inputColumns;
    }

    @Override
    public int totalOutcomes() {
        return totalOutcomes;
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

    /** Sets a DL4J pre-processor applied to every batch after it is assembled, on the caller's thread. */
    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    /** The class names given to {@link #of}; null if none were (DL4J's contract for unnamed classes). */
    @Override
    public List<String> getLabels() {
        return labels;
    }
}
