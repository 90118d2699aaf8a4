package org.deq4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NativeMemoryTest {
    private static final long MIB = 1 << 20;

    @Test
    void settleCountsReachableArraysAndFreesGarbage() {
        long baseline = NativeMemory.settle();
        INDArray kept = Nd4j.create(DataType.DOUBLE, 1024, 128); // 1 MiB of doubles
        for (int i = 0; i < 8; i++) {
            Nd4j.create(DataType.DOUBLE, 1024, 128); // 1 MiB of garbage each
        }
        long raw = NativeMemory.liveBytes() - baseline;
        long settled = NativeMemory.settle() - baseline;
        Reference.reachabilityFence(kept);

        assertEquals(MIB, settled, "settled memory must be exactly the kept array");
        assertTrue(raw >= 9 * MIB || raw > settled, "before settling the counter should still hold garbage: " + raw);
    }

    @Test
    void probeReportsThePeakNotTheEnd() {
        ReachableMemoryProbe probe = new ReachableMemoryProbe();
        INDArray big = Nd4j.create(DataType.FLOAT, 2 * MIB / 4);
        probe.sample();
        Reference.reachabilityFence(big);
        big = null;
        INDArray small = Nd4j.create(DataType.FLOAT, MIB / 4);
        probe.sample();
        Reference.reachabilityFence(small);

        assertEquals(2 * MIB, probe.peakAboveBaseline());
        assertEquals(2, probe.samples());
    }
}
