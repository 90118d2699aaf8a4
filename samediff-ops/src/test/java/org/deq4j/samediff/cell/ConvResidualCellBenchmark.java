package org.deq4j.samediff.cell;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Timings of {@link ConvResidualCell} and of GroupNorm formulations at the paper's scale (batch 32,
 * 32 channels, 32x32, float32). Prints numbers; runs only with {@code -Ddeq4j.bench=true}:
 * {@code mvn -pl samediff-ops -am test -Dtest=ConvResidualCellBenchmark -Ddeq4j.bench=true -Dsurefire.failIfNoSpecifiedTests=false}.
 * On a machine shared with other jobs, also try {@code OMP_NUM_THREADS=1}: spinning OpenMP threads
 * made every op several times slower there.
 */
@EnabledIfSystemProperty(named = "deq4j.bench", matches = "true")
class ConvResidualCellBenchmark {
    private static final int N = 32;
    private static final int C = 32;
    private static final int S = 32;
    private static final int REPS = 10;

    /** A GroupNorm formulation that creates its own affine parameters "g" and "b". */
    interface Gn {
        SDVariable apply(SameDiff sd, SDVariable v, long groups, double eps);
    }

    private static SDVariable[] affine(SameDiff sd, long... shape) {
        return new SDVariable[] {sd.var("g", Nd4j.ones(DataType.FLOAT, shape)), sd.var("b", Nd4j.zeros(DataType.FLOAT, shape))};
    }

    private static SDVariable grouped(SameDiff sd, SDVariable v, SDVariable shape, long groups) {
        return sd.reshape(v, sd.concat(0, sd.slice(shape, new int[] {0}, 1), sd.constant(Nd4j.createFromArray(groups, -1L))));
    }

    @Test
    void groupNormVariantsAndCell() {
        Map<String, Gn> variants = new java.util.LinkedHashMap<>();
        variants.put("fused scale/shift (kept)", (sd, v, groups, eps) -> {
            SDVariable[] p = affine(sd, GroupNorm.affineShape(C, groups));
            return GroupNorm.apply(sd, v, p[0], p[1], C, groups, eps);
        });
        variants.put("moments; sub, mul rstd, mul gamma, add beta", (sd, v, groups, eps) -> {
            SDVariable[] p = affine(sd, 1, C, 1, 1);
            SDVariable shape = sd.shape(v);
            SDVariable r = grouped(sd, v, shape, groups);
            SDVariable[] m = sd.math().moments(r, new int[] {2}, true);
            SDVariable n = r.sub(m[0]).mul(sd.math().rsqrt(m[1].add(eps)));
            return sd.reshape(n, shape).mul(p[0]).add(p[1]);
        });
        variants.put("mean/sub/square/mean/rsqrt; mul gamma, add beta", (sd, v, groups, eps) -> {
            SDVariable[] p = affine(sd, 1, C, 1, 1);
            SDVariable shape = sd.shape(v);
            SDVariable r = grouped(sd, v, shape, groups);
            SDVariable d = r.sub(r.mean(true, 2));
            SDVariable n = d.mul(sd.math().rsqrt(d.mul(d).mean(true, 2).add(eps)));
            return sd.reshape(n, shape).mul(p[0]).add(p[1]);
        });
        variants.put("standardize (no eps: invalid, lower bound)", (sd, v, groups, eps) -> {
            SDVariable[] p = affine(sd, 1, C, 1, 1);
            SDVariable shape = sd.shape(v);
            return sd.reshape(sd.math().standardize(grouped(sd, v, shape, groups), 2), shape).mul(p[0]).add(p[1]);
        });
        INDArray input = Nd4j.randn(DataType.FLOAT, N, C, S, S);
        INDArray weights = Nd4j.randn(DataType.FLOAT, N, C, S, S);
        for (int round = 0; round < 2; round++) {
            for (var e : variants.entrySet()) {
                SameDiff sd = SameDiff.create();
                SDVariable v = sd.var("v", input.dup());
                SDVariable out = e.getValue().apply(sd, v, 2, 1e-5);
                out.mul(sd.constant(weights)).sum().markAsLoss();
                report("GN " + e.getKey(), sd, out.name(), Map.of(), List.of("v", "g", "b"));
            }
        }

        for (int width : new int[] {1, 3}) {
            ConvResidualCell cell = ConvResidualCell.of(C, width);
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
            report("cell width " + width, sd, out.name(), ph, names);
        }

        // The whole layer as the paper runs it (4 steps, beta 0.8), unrolled: 8 cell evaluations.
        ConvResidualCell cell = ConvResidualCell.of(C, 1);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, C, S, S);
        List<SDVariable> params = CellParameters.create(sd, cell, "", 1, DataType.FLOAT);
        SDVariable out = org.deq4j.samediff.unrolled.UnrolledRevDeq.apply(sd, cell, x, params, 0.8, 4);
        out.mul(sd.constant(Nd4j.randn(DataType.FLOAT, N, C, S, S))).sum().markAsLoss();
        List<String> names = new ArrayList<>();
        params.forEach(p -> names.add(p.name()));
        report("unrolled RevDEQ, width 1, 4 steps", sd, out.name(), Map.of("x", Nd4j.randn(DataType.FLOAT, N, C, S, S)), names);
    }

    private static void report(String what, SameDiff sd, String out, Map<String, INDArray> ph, List<String> wrt) {
        String fwd = timing(() -> sd.output(ph, out).get(out));
        String grad = timing(() -> sd.calculateGradients(ph, wrt).get(wrt.get(0)));
        System.out.printf("BENCH %-50s forward %s | forward+gradient %s%n", what, fwd, grad);
    }

    /**
     * Wall-clock minimum and median, and process CPU time per run (all threads): on a shared,
     * loaded machine the minimum and the CPU time are the more reproducible numbers.
     */
    private static String timing(Supplier<INDArray> run) {
        for (int i = 0; i < 3; i++) {
            assertTrue(Double.isFinite(run.get().sumNumber().doubleValue()), "non-finite result");
        }
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double[] t = new double[REPS];
        long cpu0 = os.getProcessCpuTime();
        for (int i = 0; i < REPS; i++) {
            long t0 = System.nanoTime();
            INDArray r = run.get();
            t[i] = (System.nanoTime() - t0) / 1e6;
            assertTrue(r.length() > 0);
        }
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e6 / REPS;
        Arrays.sort(t);
        return String.format("min %7.1f med %7.1f cpu %7.1f ms", t[0], t[REPS / 2], cpu);
    }
}
