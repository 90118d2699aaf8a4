package org.deq4j.cli.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A background thread that reads {@link NativeMemory#liveBytes()} about every 0.5 ms and keeps the
 * highest value: the off-heap memory the process actually held, including garbage not yet collected.
 * That number depends on when the garbage collector happens to run, so it is reported beside the
 * reachable peak, never instead of it.
 */
final class PeakSampler implements AutoCloseable {
    private static final long PERIOD_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    private final AtomicLong peak = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts sampling. */
    PeakSampler() {
        peak.set(NativeMemory.liveBytes());
        thread = new Thread(() -> {
            while (running) {
                peak.accumulateAndGet(NativeMemory.liveBytes(), Math::max);
                LockSupport.parkNanos(PERIOD_NANOS);
            }
        }, "deq4j-memory-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** The highest value seen so far. */
    long peak() {
        return Math.max(peak.get(), NativeMemory.liveBytes());
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
