package org.deq4j.train;

import java.util.List;
import java.util.OptionalLong;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

/**
 * A {@link ResumableIterator} that forwards every call to an {@link EpochIterator}. It lets a data
 * type with API of its own (a builder, positions in its own terms, {@code close()}) be the iterator
 * its users hold, without extending a trainer class and without repeating the forwarding: the type
 * supplies {@link #epochIterator()} and overrides a default only to add behaviour around the
 * forwarded call (e.g. discarding prefetched batches on {@link #reset()}).
 *
 * <p>Behaviour, failure modes and thread-safety are those of the {@link EpochIterator}. Moving the
 * {@link #epochIterator()} directly bypasses such overrides, so implementations must stay correct
 * when it is (they may only lose work they prepared ahead).
 */
public interface ForwardingEpochIterator extends ResumableIterator {

    /** The iterator every call is forwarded to; it is the same stream, not a copy. */
    EpochIterator epochIterator();

    /** Batches served per epoch. */
    default int batchesPerEpoch() {
        return epochIterator().batchesPerEpoch();
    }

    @Override
    default StreamPosition streamPosition() {
        return epochIterator().streamPosition();
    }

    /** @throws org.deq4j.core.InvalidConfigException if the offset is beyond the epoch's end */
    @Override
    default void seekStream(StreamPosition position) {
        epochIterator().seekStream(position);
    }

    @Override
    default OptionalLong itemsPerEpoch() {
        return epochIterator().itemsPerEpoch();
    }

    @Override
    default boolean hasNext() {
        return epochIterator().hasNext();
    }

    /** @throws java.util.NoSuchElementException if the epoch is exhausted */
    @Override
    default DataSet next() {
        return epochIterator().next();
    }

    /**
     * @throws org.deq4j.core.InvalidConfigException if {@code num < 1}
     * @throws java.util.NoSuchElementException      if the epoch is exhausted
     */
    @Override
    default DataSet next(int num) {
        return epochIterator().next(num);
    }

    @Override
    default int inputColumns() {
        return epochIterator().inputColumns();
    }

    @Override
    default int totalOutcomes() {
        return epochIterator().totalOutcomes();
    }

    @Override
    default boolean resetSupported() {
        return epochIterator().resetSupported();
    }

    @Override
    default boolean asyncSupported() {
        return epochIterator().asyncSupported();
    }

    @Override
    default void reset() {
        epochIterator().reset();
    }

    @Override
    default int batch() {
        return epochIterator().batch();
    }

    @Override
    default void setPreProcessor(DataSetPreProcessor preProcessor) {
        epochIterator().setPreProcessor(preProcessor);
    }

    @Override
    default DataSetPreProcessor getPreProcessor() {
        return epochIterator().getPreProcessor();
    }

    @Override
    default List<String> getLabels() {
        return epochIterator().getLabels();
    }
}
