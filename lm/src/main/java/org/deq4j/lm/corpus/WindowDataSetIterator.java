package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.train.EpochCursor;
import org.deq4j.train.EpochIterator;
import org.deq4j.train.ForwardingEpochIterator;
import org.deq4j.train.StreamPosition;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batches of {@link TokenWindows} as a DL4J {@link DataSetIterator}.
 *
 * <p>Layout: features {@code [batch, context]} holding input token ids, labels {@code [batch, context]}
 * holding the next-token ids (features shifted by one), both of {@link Builder#dataType data type}
 * {@code INT32} by default (ids, not one-hot: a one-hot GPT-2 batch of 32 x 448 would take 2.9 GB). No
 * masks: every window is full. {@link #inputColumns()} is the context length, {@link #totalOutcomes()}
 * the vocabulary size given to the builder; {@link #getLabels()} is null, token classes having no names.
 *
 * <p>Order: with shuffling on (the default), epoch {@code e} visits the windows in a permutation drawn
 * from {@code seed} and {@code e} alone, so runs are reproducible and a run resumed with
 * {@link #seek} gets the same batches as an uninterrupted one; with shuffling off windows come in stream
 * order. The last batch of an epoch may be smaller unless {@link Builder#dropLast} is set.
 *
 * <p>{@link #reset()} moves to the start of the next epoch, unless the current epoch has not started (so
 * a DL4J {@code fit} that resets before its first epoch does not skip one). {@link #asyncSupported()} is
 * false: building a batch is an array copy, and prefetching would make {@link #position()} run ahead of
 * what the model consumed. A batch that fails to assemble or pre-process is not skipped. Not thread-safe.
 *
 * <p>Order, position and epoch rules are an {@link EpochCursor}'s; the DL4J iterator calls are
 * forwarded to an {@link EpochIterator} that asks this class only for batches.
 */
public final class WindowDataSetIterator implements ForwardingEpochIterator {
    private static final long serialVersionUID = 1L;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final TokenWindows windows;
    private final DataType dataType;
    private final transient EpochCursor cursor;
    private final transient EpochIterator epochs;

    private WindowDataSetIterator(Builder b) {
        this.windows = b.windows;
        this.dataType = b.dataType;
        this.cursor = cursor(b);
        this.epochs = EpochIterator.of(cursor, windows.context(), b.vocabSize, null, this::assemble);
    }

    private static EpochCursor cursor(Builder b) {
        int count = b.windows.count();
        long seed = b.seed;
        return b.shuffle
                ? EpochCursor.shuffled(count, "windows", b.batchSize, b.dropLast, epoch -> seed ^ (GOLDEN * (epoch + 1L)))
                : EpochCursor.inOrder(count, "windows", b.batchSize, b.dropLast);
    }

    /**
     * Starts a builder.
     *
     * @param windows   the windows to serve
     * @param vocabSize the model's output width ({@link #totalOutcomes()}), e.g. the tokenizer's padded size
     */
    public static Builder builder(TokenWindows windows, int vocabSize) {
        return new Builder(windows, vocabSize);
    }

    /** Current position; see {@link WindowPosition}. */
    public WindowPosition position() {
        return new WindowPosition(cursor.epoch(), cursor.offset());
    }

    /**
     * Continues from {@code position}, as saved by {@link #position()}.
     *
     * @throws InvalidConfigException if the window index is beyond the epoch's end
     */
    public void seek(WindowPosition position) {
        seekStream(new StreamPosition(position.epoch(), position.window()));
    }

    /** The window indices of {@code epoch} in visiting order. */
    public int[] epochOrder(int epoch) {
        return cursor.order(epoch);
    }

    @Override
    public EpochIterator epochIterator() {
        return epochs;
    }

    private DataSet assemble(EpochCursor at, int n) {
        int[] order = at.order();
        int start = at.offset();
        int context = windows.context();
        int[] features = new int[n * context];
        int[] labels = new int[n * context];
        for (int i = 0; i < n; i++) {
            int w = order[start + i];
            windows.copyInput(w, features, i * context);
            windows.copyTarget(w, labels, i * context);
        }
        return new DataSet(toArray(features, n, context), toArray(labels, n, context));
    }

    private INDArray toArray(int[] ids, int rows, int columns) {
        INDArray array = Nd4j.createFromArray(ids).reshape('c', rows, columns);
        return dataType == DataType.INT32 ? array : array.castTo(dataType);
    }

    /** Configures a {@link WindowDataSetIterator}. */
    public static final class Builder {
        private final TokenWindows windows;
        private final int vocabSize;
        private int batchSize = 32;
        private long seed = 42;
        private boolean shuffle = true;
        private boolean dropLast;
        private DataType dataType = DataType.INT32;

        private Builder(TokenWindows windows, int vocabSize) {
            if (vocabSize < 1) {
                throw new InvalidConfigException("vocabulary size must be >= 1, got " + vocabSize);
            }
            this.windows = windows;
            this.vocabSize = vocabSize;
        }

        /** Windows per batch (default 32). */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new InvalidConfigException("batch size must be >= 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Seed of the per-epoch shuffles (default 42). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Whether window order is shuffled each epoch (default true; use false for evaluation). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Whether an epoch's last, smaller batch is skipped (default false). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Element type of features and labels (default INT32; FLOAT for layers that want floats). */
        public Builder dataType(DataType dataType) {
            this.dataType = dataType;
            return this;
        }

        /**
         * @throws InvalidConfigException if {@code dropLast} is set and there are fewer windows than one batch
         */
        public WindowDataSetIterator build() {
            if (dropLast && windows.count() < batchSize) {
                throw new InvalidConfigException("dropLast with batch size " + batchSize + " leaves no batch: only "
                        + windows.count() + " windows");
            }
            return new WindowDataSetIterator(this);
        }
    }
}
