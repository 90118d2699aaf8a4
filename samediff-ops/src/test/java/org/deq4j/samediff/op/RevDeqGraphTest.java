package org.deq4j.samediff.op;

import static org.deq4j.samediff.op.RevDeqOpTest.assertClose;
import static org.deq4j.samediff.op.RevDeqOpTest.maxAbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.MlpCell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** The RevDEQ op inside whole SameDiff workflows: finite differences, early stopping, fit, save/load. */
class RevDeqGraphTest {

    @Test
    void gradientsMatchCentralFiniteDifferences() {
        RevDeqFixture f = new RevDeqFixture(0.8, 4, 1e-12, 11);
        Map<String, INDArray> g = f.gradients();
        double eps = 1e-6;
        int[][] entries = {{0, 0, 1}, {0, 3, 5}, {1, 2, 4}, {2, 0, 6}};
        for (int[] e : entries) {
            INDArray p = f.sd.getVariable(RevDeqFixture.PARAMS[e[0]]).getArr();
            double orig = p.getDouble(e[1], e[2]);
            p.putScalar(e[1], e[2], orig + eps);
            double up = loss(f);
            p.putScalar(e[1], e[2], orig - eps);
            double down = loss(f);
            p.putScalar(e[1], e[2], orig);
            double fd = (up - down) / (2 * eps);
            double an = g.get(RevDeqFixture.PARAMS[e[0]]).getDouble(e[1], e[2]);
            assertEquals(fd, an, 1e-7 * Math.max(1, Math.abs(fd)),
                    RevDeqFixture.PARAMS[e[0]] + Map.of("row", e[1], "col", e[2]));
        }
    }

    private static double loss(RevDeqFixture f) {
        return f.sd.output(f.placeholders(), f.loss.name()).get(f.loss.name()).getDouble(0);
    }

    @Test
    void twoStackedLayersHaveCorrectGradients() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 3);
        DeqConfig config = RevDeqFixture.float64(0.8, 3, 1e-12);
        MlpCell c1 = new MlpCell(4, 3);
        MlpCell c2 = new MlpCell(5, 4);
        List<SDVariable> p1 = RevDeq.createParameters(sd, c1, "a_", 1, DataType.DOUBLE);
        List<SDVariable> p2 = RevDeq.createParameters(sd, c2, "b_", 2, DataType.DOUBLE);
        p1.get(0).getArr().muli(0.5);
        p2.get(0).getArr().muli(0.5);
        SDVariable z1 = RevDeq.of(c1, config).apply(sd, x, p1);
        SDVariable z2 = RevDeq.of(c2, config).withInjectionShape(-1, 4).apply(sd, z1, p2);
        SDVariable loss = z2.mul(sd.constant(Nd4j.createFromArray(new double[][] {{1, -2, 3, 0.5, -1}, {0.3, 2, -1, 1, 4}}))).sum();
        loss.markAsLoss();
        Map<String, INDArray> ph = Map.of("x", Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(4),
                new long[] {2, 3}).castTo(DataType.DOUBLE));
        Map<String, INDArray> g = sd.calculateGradients(ph, "a_U", "b_W");
        for (String name : List.of("a_U", "b_W")) {
            INDArray p = sd.getVariable(name).getArr();
            double orig = p.getDouble(1, 2);
            p.putScalar(1, 2, orig + 1e-6);
            double up = sd.output(ph, loss.name()).get(loss.name()).getDouble(0);
            p.putScalar(1, 2, orig - 1e-6);
            double down = sd.output(ph, loss.name()).get(loss.name()).getDouble(0);
            p.putScalar(1, 2, orig);
            double fd = (up - down) / 2e-6;
            assertEquals(fd, g.get(name).getDouble(1, 2), 1e-7 * Math.max(1, Math.abs(fd)), name);
        }
    }

    @Test
    void residualStageGradientOfTheInjectionMatchesFiniteDifferences() {
        // the paper's stage x + DEQ(x): x's gradient comes from both paths
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 4);
        MlpCell cell = new MlpCell(4, 4);
        List<SDVariable> p = RevDeq.createParameters(sd, cell, "r_", 6, DataType.DOUBLE);
        p.get(0).getArr().muli(0.5);
        SDVariable z = RevDeq.of(cell, RevDeqFixture.float64(1.2, 4, 1e-12)).apply(sd, x, p);
        SDVariable out = x.add(z);
        SDVariable loss = out.mul(out).sum();
        loss.markAsLoss();
        INDArray xa = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(12), new long[] {2, 4})
                .castTo(DataType.DOUBLE);
        INDArray g = sd.calculateGradients(Map.of("x", xa), "x").get("x");
        for (int[] e : new int[][] {{0, 1}, {1, 3}}) {
            double orig = xa.getDouble(e[0], e[1]);
            xa.putScalar(e[0], e[1], orig + 1e-6);
            double up = sd.output(Map.of("x", xa), loss.name()).get(loss.name()).getDouble(0);
            xa.putScalar(e[0], e[1], orig - 1e-6);
            double down = sd.output(Map.of("x", xa), loss.name()).get(loss.name()).getDouble(0);
            xa.putScalar(e[0], e[1], orig);
            double fd = (up - down) / 2e-6;
            assertEquals(fd, g.getDouble(e[0], e[1]), 1e-7 * Math.max(1, Math.abs(fd)));
        }
    }

    @Test
    void constantInjectionAndFrozenWeightsGiveTheSameResults() {
        RevDeqFixture f = new RevDeqFixture(0.8, 4, 1e-10, 13);
        Map<String, INDArray> g = f.gradients();
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.constant("xc", f.x.dup());
        List<INDArray> p = f.coreCell.parameters();
        List<SDVariable> params = List.of(sd.constant("Wc", p.get(0).dup()), sd.var("U", p.get(1).dup()),
                sd.var("b", p.get(2).dup()));
        SDVariable z = RevDeq.of(new MlpCell(RevDeqFixture.STATE, RevDeqFixture.INPUT),
                RevDeqFixture.float64(0.8, 4, 1e-10)).apply(sd, x, params);
        z.mul(sd.constant("c", f.c)).sum().markAsLoss();
        assertEquals(0.0, maxAbs(sd.output(Map.of(), z.name()).get(z.name()).sub(f.output())), 1e-15);
        Map<String, INDArray> g2 = sd.calculateGradients(Map.of(), "U", "b");
        assertClose(g.get("U"), g2.get("U"), "U");
        assertClose(g.get("b"), g2.get("b"), "b");
    }

    @Test
    void samplesStopSeparatelyAsInTheCoreEngine() {
        // a loose tolerance and a generous budget: samples converge after different numbers of steps
        RevDeqFixture f = new RevDeqFixture(0.8, 40, 1e-6, 5);
        f.x.getRow(0).muli(0.05);
        f.x.getRow(2).muli(4.0);
        RevDeq.Outputs outs = f.outputs;
        Map<String, INDArray> o = f.sd.output(f.placeholders(), outs.z().name(), outs.steps().name());
        DeqSolution ref = f.coreSolution();
        int[] refSteps = ref.stats().steps();
        double[] steps = o.get(outs.steps().name()).toDoubleVector();
        for (int i = 0; i < refSteps.length; i++) {
            assertEquals(refSteps[i], steps[i], "steps of sample " + i);
        }
        assertTrue(java.util.Arrays.stream(refSteps).distinct().count() > 1,
                "test setup: samples should stop at different steps, got " + java.util.Arrays.toString(refSteps));
        assertTrue(maxAbs(o.get(outs.z().name()).sub(ref.z().part(0))) <= 1e-12);

        Map<String, INDArray> g = f.gradients();
        DeqGradients rg = ref.backward(State.of(f.c));
        assertClose(rg.gx().part(0), g.get("x"), "x");
        for (int i = 0; i < RevDeqFixture.PARAMS.length; i++) {
            assertClose(rg.gParams().get(i), g.get(RevDeqFixture.PARAMS[i]), RevDeqFixture.PARAMS[i]);
        }
    }

    @Test
    void saveAndLoadKeepOutputsAndGradients(@TempDir Path dir) {
        RevDeqFixture f = new RevDeqFixture(1.2, 4, 1e-10, 3);
        INDArray z = f.output();
        Map<String, INDArray> g = f.gradients();
        File file = dir.resolve("revdeq.sd").toFile();
        f.sd.save(file, false);
        SameDiff loaded = SameDiff.load(file, false);
        INDArray z2 = loaded.output(f.placeholders(), f.z.name()).get(f.z.name());
        assertArrayEquals(z.ravel().toDoubleVector(), z2.ravel().toDoubleVector(), 0.0);
        loaded.setLossVariables(f.loss.name());
        Map<String, INDArray> g2 = loaded.calculateGradients(f.placeholders(), "x", "W", "U", "b");
        for (String k : List.of("x", "W", "U", "b")) {
            assertArrayEquals(g.get(k).ravel().toDoubleVector(), g2.get(k).ravel().toDoubleVector(), 0.0, k);
        }
    }

    @Test
    void mixedPrecisionMatchesCoreMixedPolicy() {
        int batch = 3;
        TanhMlpCell cell = TanhMlpCell.random(8, 5, 0.6, 21, DataType.FLOAT);
        INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(22), new long[] {batch, 5})
                .castTo(DataType.FLOAT);
        INDArray c = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(23), new long[] {batch, 8}).castTo(DataType.DOUBLE);
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", DataType.FLOAT, -1, 5);
        List<INDArray> p = cell.parameters();
        List<SDVariable> params = List.of(sd.var("W", p.get(0).dup()), sd.var("U", p.get(1).dup()),
                sd.var("b", p.get(2).dup()));
        SDVariable z = RevDeq.of(new MlpCell(8, 5), GradientStrategy.REVERSIBLE.config(4, 0.8, 1e-6)).apply(sd, xv, params);
        assertEquals(DataType.DOUBLE, z.dataType());
        z.mul(sd.constant(c)).sum().markAsLoss();
        Map<String, INDArray> ph = Map.of("x", x);
        INDArray zs = sd.output(ph, z.name()).get(z.name());
        Map<String, INDArray> g = sd.calculateGradients(ph, "x", "W", "U", "b");

        DeqSolution ref = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(0.8)).adjoint(new ReversibleAdjoint())
                .maxSteps(4).precision(PrecisionPolicy.MIXED).build()).solve(cell, x);
        assertTrue(maxAbs(zs.sub(ref.z().part(0))) <= 1e-6, "forward differs by " + maxAbs(zs.sub(ref.z().part(0))));
        DeqGradients rg = ref.backward(State.of(c));
        assertEquals(DataType.FLOAT, g.get("W").dataType());
        assertEquals(DataType.FLOAT, g.get("x").dataType());
        String[] names = {"W", "U", "b"};
        for (int i = 0; i < names.length; i++) {
            INDArray e = rg.gParams().get(i).castTo(DataType.DOUBLE);
            double err = maxAbs(e.sub(g.get(names[i]).castTo(DataType.DOUBLE)));
            assertTrue(err <= 1e-4 * Math.max(1, maxAbs(e)), names[i] + " differs by " + err);
        }
    }

    @Test
    void float64StateKeepsLongReverseLoopsAccurate() {
        // 16 inverse steps amplify rounding by about 1/|1-β|^16 = 6.6e10 for β = 0.8: with the state in
        // float64 the gradient stays as accurate as the float32 cell allows
        TanhMlpCell cell = TanhMlpCell.random(32, 16, 0.9, 3, DataType.DOUBLE);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(8);
        INDArray x = Nd4j.randn(rng, new long[] {8, 16}).castTo(DataType.DOUBLE);
        INDArray c = Nd4j.randn(rng, new long[] {8, 32}).castTo(DataType.DOUBLE);
        INDArray ref = weightGradient(cell, x, c, DataType.DOUBLE, 16);
        INDArray mixed = weightGradient(cell, x, c, DataType.FLOAT, 16);
        double err = maxAbs(mixed.sub(ref)) / maxAbs(ref);
        assertTrue(err <= 1e-5, "relative error of the mixed-precision gradient after 16 steps: " + err);
    }

    private static INDArray weightGradient(TanhMlpCell cell, INDArray x, INDArray c, DataType compute, int steps) {
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", compute, -1, x.size(1));
        List<INDArray> p = cell.parameters();
        List<SDVariable> params = List.of(sd.var("W", p.get(0).castTo(compute)), sd.var("U", p.get(1).castTo(compute)),
                sd.var("b", p.get(2).castTo(compute)));
        DeqConfig config = GradientStrategy.REVERSIBLE.config(steps, 0.8, 1e-12).toBuilder()
                .precision(new PrecisionPolicy(DataType.DOUBLE, compute)).build();
        SDVariable z = RevDeq.of(new MlpCell((int) p.get(0).size(0), (int) x.size(1)), config).apply(sd, xv, params);
        z.mul(sd.constant(c)).sum().markAsLoss();
        return sd.calculateGradients(Map.of("x", x.castTo(compute)), "W").get("W").castTo(DataType.DOUBLE);
    }

    @Test
    void fitWithAdamLowersTheLoss() {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(31);
        int n = 16;
        INDArray x = Nd4j.randn(rng, new long[] {n, 5}).castTo(DataType.FLOAT);
        INDArray w = Nd4j.randn(rng, new long[] {5, 2}).castTo(DataType.FLOAT);
        INDArray y = org.nd4j.linalg.ops.transforms.Transforms.tanh(x.mmul(w));

        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", DataType.FLOAT, -1, 5);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 2);
        MlpCell cell = new MlpCell(8, 5);
        List<SDVariable> params = RevDeq.createParameters(sd, cell, "deq_", 7, DataType.FLOAT);
        SDVariable z = RevDeq.of(cell, GradientStrategy.REVERSIBLE.config(2, 0.8, 1e-6)).apply(sd, xv, params);
        SDVariable head = sd.var("head", Nd4j.randn(rng, new long[] {8, 2}).castTo(DataType.FLOAT).muli(0.3));
        SDVariable pred = z.castTo(DataType.FLOAT).mmul(head);
        SDVariable loss = sd.loss.meanSquaredError("loss", label, pred, null);
        sd.setLossVariables(loss);
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(0.03))
                .dataSetFeatureMapping("x").dataSetLabelMapping("label").build());

        Map<String, INDArray> ph = Map.of("x", x, "label", y);
        double before = sd.output(ph, "loss").get("loss").getDouble(0);
        DataSet ds = new DataSet(x, y);
        sd.fit(new SingletonDataSetIterator(ds), 20);
        double after = sd.output(ph, "loss").get("loss").getDouble(0);
        assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
    }
}
