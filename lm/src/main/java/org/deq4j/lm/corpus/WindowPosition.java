package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;

/**
 * Where a {@link WindowDataSetIterator} stands: {@code window} windows of epoch {@code epoch} have been
 * served. Save it with a checkpoint and {@link WindowDataSetIterator#seek seek} to it to resume with the
 * exact same batches.
 *
 * @param epoch  0-based epoch
 * @param window windows already served in that epoch
 */
public record WindowPosition(int epoch, int window) {

    /** The beginning of epoch 0. */
    public static final WindowPosition START = new WindowPosition(0, 0);

    public WindowPosition {
        if (epoch < 0 || window < 0) {
            throw new InvalidConfigException("iterator position needs epoch >= 0 and window >= 0, got epoch="
                    + epoch + ", window=" + window);
        }
    }
}
