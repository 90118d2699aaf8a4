package org.deq4j.train;

import org.bytedeco.javacpp.Pointer;

/**
 * Memory in use, in bytes.
 *
 * <p>ND4J's native (off-heap) buffers cannot be counted separately on ND4J 1.0.0-M2.1's CPU backend:
 * they are allocated by libnd4j, and neither JavaCPP's {@link Pointer#totalBytes()} nor
 * {@code Nd4j.getMemoryManager().allocatedMemory(0)} changes when a 100 MB array is created. The
 * resident set size is therefore the measure of total memory, native buffers included.
 *
 * @param heap JVM heap in use ({@code Runtime.totalMemory() - freeMemory()}), including garbage not yet collected
 * @param rss  resident set size of the whole process ({@link Pointer#physicalBytes()}): the touched
 *             part of the heap, ND4J buffers and workspaces, JVM metaspace, stacks and native libraries
 */
public record MemoryUsage(long heap, long rss) {

    /** Samples the current usage (microseconds). */
    public static MemoryUsage sample() {
        Runtime rt = Runtime.getRuntime();
        return new MemoryUsage(rt.totalMemory() - rt.freeMemory(), Pointer.physicalBytes());
    }
}
