package org.deq4j.zoo.data;

import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.deq4j.core.DeqException;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.train.EpochCursor;
import org.deq4j.train.EpochIterator;
import org.deq4j.train.ForwardingEpochIterator;
import org.deq4j.train.StreamPosition;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mini-batches of an {@link ImageDataset} as a DL4J {@link DataSetIterator}: features are float32
 * NCHW scaled to [0, 1] and then passed through the configured {@link SampleTransform}; labels are
 * one-hot float32 {@code [batch, numClasses]}.
 *
 * <p><b>Determinism and resuming.</b> The order of epoch {@code e} is a permutation drawn from
 * (seed, e) and each sample's augmentation from (seed, e, image index), so a batch depends only on
 * its {@link Position}. {@link #position()} tells where the iterator is; {@link #seek(Position)}
 * puts it back there, e.g. when training resumes from a checkpoint. The same in the trainer's terms:
 * {@link #streamPosition()} / {@link #seekStream(StreamPosition)} (offset = images).
 *
 * <p><b>Epochs.</b> {@link #reset()} starts the next epoch if any batch of the current one was
 * taken, and is a no-op on an untouched epoch (DL4J calls reset defensively before fitting).
 *
 * <p><b>Prefetch.</b> With {@code prefetch > 0} up to that many upcoming batches are assembled on a
 * daemon thread (which exits after a second of idleness). Prefetching is transparent: reset and seek
 * discard pending batches, a DL4J pre-processor runs on the caller's thread as each batch is handed
 * out, and a failure while assembling a batch is rethrown by the {@link #next()} that asks for it,
 * with its original type, without advancing the position. {@link #asyncSupported()} is false so DL4J
 * does not add a second prefetch layer. Not thread-safe: use from one thread; {@link #close()} stops
 * the prefetch thread early.
 *
 * <p>Order, position and epoch rules are an {@link EpochCursor}'s; the DL4J iterator calls are
 * forwarded to an {@link EpochIterator} that asks this class only for batches.
 */
public final class ImageDataSetIterator implements ForwardingEpochIterator, AutoCloseable {
    private static final long serialVersionUID = 1L;

    /**
     * A place in the data stream: {@code sample} images of epoch {@code epoch} have been delivered.
     * Epochs count from 0.
     */
    public record Position(int epoch, int sample) {
        /** @throws InvalidConfigException if either value is negative */
        public Position {
            if (epoch < 0 || sample < 0) {
                throw new InvalidConfigException("position needs epoch >= 0 and sample >= 0, got " + epoch + ", " + sample);
            }
        }
    }

    private final transient ImageDataset data;
    private final long seed;
    private final int prefetch;
    private final transient SampleTransform transform;
    private final transient EpochCursor cursor;
    private final transient EpochIterator epochs;
    private final transient ArrayDeque<Pending> pending = new ArrayDeque<>();
    private transient ThreadPoolExecutor executor;

    private record Pending(int epoch, int start, int count, Future<DataSet> result) {
    }

    private ImageDataSetIterator(Builder b) {
        this.data = b.data;
        this.seed = b.seed;
        this.prefetch = b.prefetch;
        this.transform = b.transform;
        this.cursor = cursor(b);
        this.epochs = EpochIterator.of(cursor, data.shape().size(), data.numClasses(), data.classNames(), this::take);
        schedule(cursor.offset());
    }

    private static EpochCursor cursor(Builder b) {
        String items = "images of " + b.data.name();
        long seed = b.seed;
        return b.shuffle
                ? EpochCursor.shuffled(b.data.size(), items, b.batchSize, b.dropLast, e -> SampleSeeds.epochSeed(seed, e))
                : EpochCursor.inOrder(b.data.size(), items, b.batchSize, b.dropLast);
    }

    /** A builder over {@code data}; defaults: batch 128, seed 0, shuffled, last partial batch kept, prefetch 2, no transform. */
    public static Builder builder(ImageDataset data) {
        return new Builder(data);
    }

    /** Builds an iterator over {@code data} configured by {@code config} (convenient from Kotlin). */
    public static ImageDataSetIterator create(ImageDataset data, Consumer<Builder> config) {
        Builder b = builder(data);
        config.accept(b);
        return b.build();
    }

    /** Where the iterator is: the current epoch and how many of its images have been delivered. */
    public Position position() {
        return new Position(cursor.epoch(), cursor.offset());
    }

    /**
     * Moves to {@code p}; the next batch starts at image {@code p.sample()} of epoch {@code p.epoch()}'s order.
     *
     * @throws InvalidConfigException if {@code p.sample()} exceeds the data set size
     */
    public void seek(Position p) {
        seekStream(new StreamPosition(p.epoch(), p.sample()));
    }

    /**
     * {@link #seek(Position)} from the trainer's position (offset = images); discards prefetched batches.
     *
     * @throws InvalidConfigException if the offset exceeds the data set size
     */
    @Override
    public void seekStream(StreamPosition position) {
        epochs.seekStream(position);
        cancelPending();
        schedule(cursor.offset());
    }

    /** Starts the next epoch (unless the current one is untouched) and discards prefetched batches. */
    @Override
    public void reset() {
        cancelPending();
        epochs.reset();
        schedule(cursor.offset());
    }

    @Override
    public EpochIterator epochIterator() {
        return epochs;
    }

    /** The data set being iterated. */
    public ImageDataset dataset() {
        return data;
    }

    /**
     * Takes the batch from the prefetch queue if it is there, else assembles it here. A queue that
     * does not start with this batch (the cursor was moved behind this class's back) is discarded,
     * so what is served depends only on the cursor.
     */
    private DataSet take(EpochCursor at, int count) {
        Pending head = pending.peekFirst();
        int epoch = at.epoch();
        int start = at.offset();
        DataSet batch;
        if (head != null && head.epoch() == epoch && head.start() == start && head.count() == count) {
            pending.removeFirst();
            batch = await(head.result());
        } else {
            cancelPending();
            batch = assemble(epoch, start, count, at.order());
        }
        // The cursor advances only after this returns, so the queue continues from the batch's end.
        schedule(start + count);
        return batch;
    }

    private DataSet await(Future<DataSet> result) {
        try {
            return result.get();
        } catch (ExecutionException e) {
            cancelPending();
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new DeqException("assembling a batch of " + data.name() + " failed", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelPending();
            throw new DeqException("interrupted while waiting for a batch of " + data.name(), e);
        } catch (CancellationException e) {
            throw new DeqException("a prefetched batch of " + data.name() + " was cancelled", e);
        }
    }

    /** Queues the batches of this epoch from image {@code from} (or after the queued ones), up to the prefetch depth. */
    private void schedule(int from) {
        if (prefetch == 0) {
            return;
        }
        Pending last = pending.peekLast();
        int next = last == null ? from : last.start() + last.count();
        int batchSize = cursor.batchSize();
        int[] ord = null;
        while (pending.size() < prefetch && next < data.size()) {
            int count = Math.min(batchSize, data.size() - next);
            if (cursor.dropLast() && count < batchSize) {
                break;
            }
            if (ord == null) {
                ord = cursor.order();
            }
            int e = cursor.epoch();
            int start = next;
            int[] o = ord;
            pending.addLast(new Pending(e, start, count, executor().submit(() -> assemble(e, start, count, o))));
            next += count;
        }
    }

    private void cancelPending() {
        for (Pending p : pending) {
            p.result().cancel(false);
        }
        pending.clear();
    }

    private ThreadPoolExecutor executor() {
        if (executor == null) {
            executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "deq4j-prefetch-" + data.name());
                t.setDaemon(true);
                return t;
            });
            executor.allowCoreThreadTimeOut(true);
        }
        return executor;
    }

    /** Builds the batch of images {@code order[start .. start + count)} of epoch {@code e}; pure, so it may run ahead on the prefetch thread. */
    private DataSet assemble(int e, int start, int count, int[] ord) {
        ImageShape shape = data.shape();
        int len = shape.size();
        int k = data.numClasses();
        float[] x = new float[count * len];
        float[] y = new float[count * k];
        for (int i = 0; i < count; i++) {
            int index = ord[start + i];
            data.copyUnitFloats(index, x, i * len);
            transform.apply(x, i * len, shape, SampleSeeds.sampleSeed(seed, e, index));
            y[i * k + data.label(index)] = 1f;
        }
        INDArray features = Nd4j.create(x, new long[] {count, shape.channels(), shape.height(), shape.width()}, 'c');
        INDArray labels = Nd4j.create(y, new long[] {count, k}, 'c');
        return new DataSet(features, labels);
    }

    /** Discards prefetched batches and stops the prefetch thread; the iterator still works, synchronously restarting it on demand. */
    @Override
    public void close() {
        cancelPending();
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    /** Configures an {@link ImageDataSetIterator}. */
    public static final class Builder {
        private final ImageDataset data;
        private int batchSize = 128;
        private long seed;
        private boolean shuffle = true;
        private boolean dropLast;
        private int prefetch = 2;
        private SampleTransform transform = SampleTransform.identity();

        private Builder(ImageDataset data) {
            this.data = data;
        }

        /** Images per batch, positive. */
        public Builder batchSize(int batchSize) {
            if (batchSize <= 0) {
                throw new InvalidConfigException("batch size must be positive, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Seed of the epoch orders and of the per-sample transform randomness. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Whether each epoch visits the images in a fresh random order (else in data set order). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Whether to skip the final batch of an epoch when it is smaller than the batch size. */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** How many batches to assemble ahead on a background thread; 0 assembles on the caller's thread. */
        public Builder prefetch(int prefetch) {
            if (prefetch < 0) {
                throw new InvalidConfigException("prefetch depth must be >= 0, got " + prefetch);
            }
            this.prefetch = prefetch;
            return this;
        }

        /** The per-sample transform (augmentation, normalisation) applied to [0, 1]-scaled pixels. */
        public Builder transform(SampleTransform transform) {
            this.transform = transform;
            return this;
        }

        /** @throws InvalidConfigException if the data set is empty */
        public ImageDataSetIterator build() {
            if (data.size() == 0) {
                throw new InvalidConfigException(data.name() + " has no images to iterate");
            }
            return new ImageDataSetIterator(this);
        }
    }
}
