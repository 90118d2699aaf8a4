package org.deq4j.core.profile;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Wall time spent in each phase of DEQ work, summed over all threads since the last
 * {@link #reset()}: what {@code deq4j bench train} reports as a training step's time split. Off by
 * default; while off, {@link #start()} and {@link #stop} cost one volatile read each.
 *
 * <p>Phases nest: {@link Phase#CELL_FORWARD} and {@link Phase#CELL_VJP} (the cell's own evaluations)
 * happen inside {@link Phase#DEQ_FORWARD} and {@link Phase#DEQ_BACKWARD} (a DEQ layer's whole forward
 * or backward pass), so the solver's own arithmetic is the DEQ time minus the cell time, and the rest
 * of the network (DL4J layers, loss, optimiser) is the step time minus the DEQ time.
 */
public final class PhaseTimer {
    /** What the time was spent on. */
    public enum Phase {
        /** Cell evaluations without gradient (forward solves, and the op's reconstruction). */
        CELL_FORWARD,
        /** Cell evaluations with their vector-Jacobian product (backward passes). */
        CELL_VJP,
        /** A DEQ layer's forward pass: the solve, cell evaluations included. */
        DEQ_FORWARD,
        /** A DEQ layer's backward pass: the adjoint, cell VJPs included. */
        DEQ_BACKWARD
    }

    private static final Phase[] PHASES = Phase.values();
    private static final AtomicLongArray NANOS = new AtomicLongArray(PHASES.length);
    private static final AtomicLongArray COUNTS = new AtomicLongArray(PHASES.length);
    private static volatile boolean enabled;

    private PhaseTimer() {
    }

    /** Switches timing on or off (off by default). */
    public static void enable(boolean on) {
        enabled = on;
    }

    /** A start mark for {@link #stop}; 0 while timing is off. */
    public static long start() {
        return enabled ? System.nanoTime() : 0L;
    }

    /** Adds the time since {@code start} (from {@link #start()}) to {@code phase}. */
    public static void stop(Phase phase, long start) {
        if (enabled && start != 0L) {
            NANOS.addAndGet(phase.ordinal(), System.nanoTime() - start);
            COUNTS.incrementAndGet(phase.ordinal());
        }
    }

    /** Nanoseconds per phase since the last reset. */
    public static Map<Phase, Long> nanos() {
        Map<Phase, Long> m = new EnumMap<>(Phase.class);
        for (Phase p : PHASES) {
            m.put(p, NANOS.get(p.ordinal()));
        }
        return m;
    }

    /** How many timed intervals each phase had since the last reset. */
    public static Map<Phase, Long> counts() {
        Map<Phase, Long> m = new EnumMap<>(Phase.class);
        for (Phase p : PHASES) {
            m.put(p, COUNTS.get(p.ordinal()));
        }
        return m;
    }

    /** Zeroes every phase. */
    public static void reset() {
        for (int i = 0; i < PHASES.length; i++) {
            NANOS.set(i, 0);
            COUNTS.set(i, 0);
        }
    }
}
