package org.deq4j.cli.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for the JIT compiler to go quiet. Compiled code may free a dead local variable's arrays
 * earlier than interpreted code, so a memory measurement taken while methods are still being
 * compiled in the background can differ from the next one.
 */
final class Jit {
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private Jit() {
    }

    /**
     * Returns once the JVM's total compilation time has not grown for 200 ms, or after 2 s, or at
     * once when the JVM does not report compilation time.
     */
    static void awaitQuiet() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + MAX_WAIT_NANOS;
        long last = jit.getTotalCompilationTime();
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < QUIET_NANOS && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            long now = jit.getTotalCompilationTime();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
    }
}
