package org.deq4j.cli.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A background thread that takes a memory reading in a loop and keeps the highest value, while other
 * threads compute. Two readings:
 * <ul>
 * <li>{@link #raw()}: {@link NativeMemory#liveBytes()} about every 0.5 ms, the off-heap memory the
 *     process actually held, garbage not yet collected included. That depends on when the garbage
 *     collector happens to run, so it is reported beside the reachable peak, never instead of it.</li>
 * <li>{@link #reachable()}: {@link NativeMemory#collectOnce()} back to back (a full collection, the
 *     buffers of unreachable arrays freed, then the counter): the peak of <em>reachable</em> ND4J
 *     memory. Each sample costs tens of milliseconds and slows the computation: memory, never time.</li>
 * </ul>
 */
final class PeakSampler implements AutoCloseable {
    private static final long RAW_PERIOD_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    private final LongSupplier reading;
    private final AtomicLong peak = new AtomicLong();
    private final AtomicInteger samples = new AtomicInteger();
    private final Thread thread;
    private volatile boolean running = true;

    private PeakSampler(LongSupplier reading, long pauseNanos, String name) {
        this.reading = reading;
        peak.set(reading.getAsLong());
        thread = new Thread(() -> {
            while (running) {
                peak.accumulateAndGet(reading.getAsLong(), Math::max);
                samples.incrementAndGet();
                if (pauseNanos > 0) {
                    LockSupport.parkNanos(pauseNanos);
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts sampling raw live bytes; the first sample is taken before this returns. */
    static PeakSampler raw() {
        return new PeakSampler(NativeMemory::liveBytes, RAW_PERIOD_NANOS, "deq4j-memory-sampler");
    }

    /** Starts sampling reachable bytes; the first sample is taken before this returns. */
    static PeakSampler reachable() {
        return new PeakSampler(NativeMemory::collectOnce, 0, "deq4j-collecting-sampler");
    }

    /** The highest reading so far, after a last sample taken now. */
    long peak() {
        return peak.accumulateAndGet(reading.getAsLong(), Math::max);
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
