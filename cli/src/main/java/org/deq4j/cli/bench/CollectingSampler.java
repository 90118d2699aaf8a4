package org.deq4j.cli.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A background thread that, in a loop, forces a full collection, frees the buffers of the arrays it
 * found unreachable and reads the counter ({@link NativeMemory#collectOnce()}), keeping the highest
 * value: the peak of <em>reachable</em> ND4J memory while other threads compute, without the garbage
 * that {@link PeakSampler}'s raw readings include. Each sample costs a full collection (tens of
 * milliseconds), so it samples less often and slows the computation: use it for memory, never time.
 */
final class CollectingSampler implements AutoCloseable {
    private final AtomicLong peak = new AtomicLong();
    private final AtomicInteger samples = new AtomicInteger();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts sampling; the first sample is taken before this returns. */
    CollectingSampler() {
        peak.set(NativeMemory.collectOnce());
        thread = new Thread(() -> {
            while (running) {
                peak.accumulateAndGet(NativeMemory.collectOnce(), Math::max);
                samples.incrementAndGet();
            }
        }, "deq4j-collecting-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** The highest reading so far, after a last sample taken now. */
    long peak() {
        return peak.accumulateAndGet(NativeMemory.collectOnce(), Math::max);
    }

    /** Samples taken by the background thread so far. */
    int samples() {
        return samples.get();
    }

    /** Stops the thread and waits for it. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
