package org.deq4j.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.OptionalLong;

/** Console progress of a {@link Trainer}: a self-rewriting line on terminals, periodic plain lines otherwise. */
final class ProgressReporter {
    private static final long TERMINAL_PERIOD_NANOS = 250_000_000L;
    private static final int BAR_WIDTH = 20;

    private final PrintStream out;
    private final ProgressMode mode;
    private final long periodNanos;
    private final String metricName;
    private final String unit;
    private long lastPrint = Long.MIN_VALUE;
    private int lastLength;
    private double smoothedThroughput = Double.NaN;
    private double lastMetric = Double.NaN;

    ProgressReporter(TrainerConfig config, String metricName) {
        this.out = config.progress();
        this.mode = config.progressMode() == ProgressMode.AUTO
                ? (System.console() != null ? ProgressMode.TERMINAL : ProgressMode.LINES)
                : config.progressMode();
        this.periodNanos = mode == ProgressMode.TERMINAL ? TERMINAL_PERIOD_NANOS : config.progressInterval().toNanos();
        this.metricName = metricName;
        this.unit = config.unit();
    }

    /**
     * Reports a finished step; prints only when the period has elapsed.
     *
     * @return whether the period had elapsed (also in {@link ProgressMode#OFF}), a cue to flush logs
     */
    boolean step(MetricRow row, StreamPosition position, OptionalLong itemsPerEpoch, MemoryUsage memory) {
        if (!Double.isNaN(row.throughput())) {
            smoothedThroughput = Double.isNaN(smoothedThroughput) ? row.throughput()
                    : 0.9 * smoothedThroughput + 0.1 * row.throughput();
        }
        if (!Double.isNaN(row.metric())) {
            lastMetric = row.metric();
        }
        long now = System.nanoTime();
        if (lastPrint != Long.MIN_VALUE && now - lastPrint < periodNanos) {
            return false;
        }
        lastPrint = now;
        if (mode == ProgressMode.OFF) {
            return true;
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "epoch %d step %d", row.epoch() + 1, row.step()));
        if (itemsPerEpoch.isPresent() && itemsPerEpoch.getAsLong() > 0) {
            double fraction = Math.min(1, (double) position.offset() / itemsPerEpoch.getAsLong());
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            s.append(" [").append("=".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append(']')
                    .append(String.format(Locale.ROOT, " %3.0f%%", 100 * fraction));
        }
        s.append(String.format(Locale.ROOT, " loss %.4f", row.loss()));
        if (!Double.isNaN(lastMetric)) {
            s.append(String.format(Locale.ROOT, " %s %.4f", metricName, lastMetric));
        }
        s.append(String.format(Locale.ROOT, " lr %.2e %.1f %s/s", row.lr(), smoothedThroughput, unit));
        if (!Double.isNaN(row.cellEvals())) {
            s.append(String.format(Locale.ROOT, " evals/step %.1f", row.cellEvals()));
        }
        if (!Double.isNaN(row.jacPenalty())) {
            s.append(String.format(Locale.ROOT, " jac %.3e", row.jacPenalty()));
        }
        s.append(String.format(Locale.ROOT, " heap %dM rss %dM", memory.heap() >> 20, memory.rss() >> 20));
        if (mode == ProgressMode.TERMINAL) {
            int pad = Math.max(0, lastLength - s.length());
            lastLength = s.length();
            out.print("\r" + s + " ".repeat(pad));
        } else {
            out.println(s);
        }
        out.flush();
        return true;
    }

    /** Prints a message on its own line (ending a progress line in terminal mode). */
    void message(String text) {
        if (mode == ProgressMode.OFF) {
            return;
        }
        if (mode == ProgressMode.TERMINAL && lastLength > 0) {
            out.println();
            lastLength = 0;
        }
        out.println(text);
        out.flush();
    }
}
