package org.deq4j.train;

import org.bytedeco.javacpp.Pointer;

/**
 * Memory in use, in bytes.
 *
 * @param heap    JVM heap in use ({@code Runtime.totalMemory() - freeMemory()}), including garbage not yet collected
 * @param offHeap resident memory outside the committed heap, {@code rss - Runtime.totalMemory()} (at
 *                least 0): ND4J array buffers and workspaces, plus JVM metaspace, thread stacks and
 *                native libraries (a few hundred MB of baseline). ND4J 1.0.0-M2.1 allocates through
 *                libnd4j, so JavaCPP's {@link Pointer#totalBytes()} stays near 0 and cannot be used.
 * @param rss     resident set size of the whole process ({@link Pointer#physicalBytes()})
 */
public record MemoryUsage(long heap, long offHeap, long rss) {

    /** Samples the current usage (a few microseconds). */
    public static MemoryUsage sample() {
        Runtime rt = Runtime.getRuntime();
        long committed = rt.totalMemory();
        long rss = Pointer.physicalBytes();
        return new MemoryUsage(committed - rt.freeMemory(), Math.max(0, rss - committed), rss);
    }
}
