package org.deq4j.train;

import java.util.OptionalLong;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * A {@link DataSetIterator} whose stream is a pure function of its position, so training can stop
 * and continue with exactly the batches an uninterrupted run would have seen. The {@link Trainer}
 * requires it for the training data.
 *
 * <p>Contract: after {@code seekStream(p)} the iterator delivers the same batches as the iterator
 * that reported {@code p} from {@link #streamPosition()}; {@link #reset()} starts the next epoch
 * (and is a no-op on an epoch not yet started). {@link EpochIterator} implements it for any data
 * over a fixed number of items; deq4j-zoo's {@code ImageDataSetIterator} and deq4j-lm's
 * {@code WindowDataSetIterator} forward to one through {@link ForwardingEpochIterator}.
 */
public interface ResumableIterator extends DataSetIterator {

    /** The current position: epoch and items of it already delivered. */
    StreamPosition streamPosition();

    /**
     * Moves to {@code position}, as reported earlier by {@link #streamPosition()} of an identically
     * configured iterator.
     *
     * @throws org.deq4j.core.InvalidConfigException if the position lies beyond the end of an epoch
     */
    void seekStream(StreamPosition position);

    /** Items (the unit of {@link StreamPosition#offset()}) in one epoch, if known; drives the progress bar. */
    default OptionalLong itemsPerEpoch() {
        return OptionalLong.empty();
    }
}
