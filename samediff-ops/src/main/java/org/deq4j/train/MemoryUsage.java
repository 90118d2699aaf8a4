package org.deq4j.train;

import org.bytedeco.javacpp.Pointer;

/**
 * Memory in use, in bytes.
 *
 * @param heap    JVM heap in use ({@code Runtime.totalMemory() - freeMemory()}), including garbage not yet collected
 * @param offHeap native memory allocated through JavaCPP ({@link Pointer#totalBytes()}): ND4J array
 *                buffers and workspaces on the CPU backend
 * @param rss     resident set size of the whole process ({@link Pointer#physicalBytes()}), which also
 *                counts the heap, code and native libraries
 */
public record MemoryUsage(long heap, long offHeap, long rss) {

    /** Samples the current usage (a few microseconds). */
    public static MemoryUsage sample() {
        Runtime rt = Runtime.getRuntime();
        return new MemoryUsage(rt.totalMemory() - rt.freeMemory(), Pointer.totalBytes(), Pointer.physicalBytes());
    }
}
