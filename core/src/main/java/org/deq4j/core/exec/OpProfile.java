package org.deq4j.core.exec;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wall time per op kind and output shape of every {@link GraphProgram} run, for finding what a cell
 * spends its time on. Off unless the JVM runs with {@code -Ddeq4j.exec.profile=true}; then the table
 * of the 40 costliest entries is printed to standard error when the JVM exits (and by
 * {@link #print}). Timing adds a little to every op, so profile and benchmark in separate runs.
 */
public final class OpProfile {
    /** Whether ops are being timed (the system property {@code deq4j.exec.profile}). */
    static final boolean ON = Boolean.getBoolean("deq4j.exec.profile");
    private static final Map<String, long[]> TIMES = new ConcurrentHashMap<>();

    static {
        if (ON) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> print(System.err, 40)));
        }
    }

    private OpProfile() {
    }

    static void add(String key, long nanos) {
        long[] acc = TIMES.computeIfAbsent(key, k -> new long[2]);
        synchronized (acc) {
            acc[0] += nanos;
            acc[1]++;
        }
    }

    /** Prints the {@code top} costliest entries (total ms, count, op and output shape) and clears them. */
    public static void print(PrintStream out, int top) {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(TIMES.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        out.println("deq4j op profile: total ms, executions, op and output shape");
        for (Map.Entry<String, long[]> e : rows.subList(0, Math.min(top, rows.size()))) {
            out.printf(Locale.ROOT, "%10.2f %8d  %s%n", e.getValue()[0] / 1e6, e.getValue()[1], e.getKey());
        }
        TIMES.clear();
    }
}
