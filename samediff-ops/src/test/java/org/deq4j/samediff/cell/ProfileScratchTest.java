package org.deq4j.samediff.cell;

import java.io.File;
import java.util.*;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.listeners.profiler.ProfilingListener;
import org.nd4j.autodiff.listeners.profiler.comparison.ProfileAnalyzer;
import org.nd4j.autodiff.samediff.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ProfileScratchTest {
    @Test
    void profile() throws Exception {
        int N = 32, C = 32, S = 32;
        ConvResidualCell cell = ConvResidualCell.of(C, 1);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, C, S, S);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, C, S, S);
        List<SDVariable> params = CellParameters.create(sd, cell, "", 1, DataType.FLOAT);
        SDVariable out = cell.apply(sd, z, x, params);
        out.mul(sd.constant(Nd4j.randn(DataType.FLOAT, N, C, S, S))).sum().markAsLoss();
        Map<String, INDArray> ph = new HashMap<>();
        ph.put("z", Nd4j.randn(DataType.FLOAT, N, C, S, S));
        ph.put("x", Nd4j.randn(DataType.FLOAT, N, C, S, S));
        List<String> names = new ArrayList<>();
        params.forEach(p -> names.add(p.name()));
        sd.calculateGradients(ph, names);
        Map<String, long[]> acc = new TreeMap<>();
        long[] start = new long[1];
        org.nd4j.autodiff.listeners.BaseListener l = new org.nd4j.autodiff.listeners.BaseListener() {
            public boolean isActive(org.nd4j.autodiff.listeners.Operation op) { return true; }
            public void preOpExecution(SameDiff s, org.nd4j.autodiff.listeners.At at, org.nd4j.autodiff.samediff.internal.SameDiffOp op, org.nd4j.linalg.api.ops.OpContext c) { start[0] = System.nanoTime(); }
            public void opExecution(SameDiff s, org.nd4j.autodiff.listeners.At at, org.nd4j.linalg.dataset.api.MultiDataSet b, org.nd4j.autodiff.samediff.internal.SameDiffOp op, org.nd4j.linalg.api.ops.OpContext c, INDArray[] outs) {
                long[] v = acc.computeIfAbsent(op.getOp().opName(), k -> new long[2]); v[0] += System.nanoTime() - start[0]; v[1]++; }
        };
        sd.setListeners(l);
        if (sd.getFunction("grad") != null) sd.getFunction("grad").setListeners(l);
        long t0 = System.nanoTime();
        for (int i = 0; i < 4; i++) sd.calculateGradients(ph, names);
        double total = (System.nanoTime() - t0) / 4e6;
        double sum = 0;
        for (var e : acc.entrySet()) { sum += e.getValue()[0] / 4e6; System.out.printf("PROF %-25s %8.2f ms/iter  x%d%n", e.getKey(), e.getValue()[0] / 4e6, e.getValue()[1] / 4); }
        System.out.printf("PROF total %.2f ms, ops %.2f ms%n", total, sum);
        // raw calibration
        INDArray a = Nd4j.randn(DataType.FLOAT, N, C, S, S);
        for (int i = 0; i < 3; i++) a.mul(2.0);
        long t1 = System.nanoTime();
        for (int i = 0; i < 20; i++) a.mul(2.0);
        System.out.println("RAW mul scalar 1M floats: " + (System.nanoTime() - t1) / 20e6 + " ms");
    }
}
