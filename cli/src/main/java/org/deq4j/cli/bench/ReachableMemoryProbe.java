package org.deq4j.cli.bench;

/**
 * The peak of reachable ND4J off-heap memory over a set of sampling points, above a baseline.
 * Each {@link #sample()} collects garbage first ({@link NativeMemory#settle()}), so garbage never
 * counts; the price is a full collection per sample, so a probed run is for measuring memory only,
 * never time.
 */
public final class ReachableMemoryProbe {
    private final long baseline;
    private long peak;
    private int samples;

    /** Starts at the current reachable memory, which becomes the baseline. */
    public ReachableMemoryProbe() {
        this.baseline = NativeMemory.settle();
        this.peak = baseline;
    }

    /** Measures reachable memory now and updates the peak. */
    public void sample() {
        peak = Math.max(peak, NativeMemory.settle());
        samples++;
    }

    /** Bytes reachable at the start. */
    public long baseline() {
        return baseline;
    }

    /** Highest reachable bytes seen above the baseline (0 if never above). */
    public long peakAboveBaseline() {
        return peak - baseline;
    }

    /** Number of samples taken. */
    public int samples() {
        return samples;
    }
}
