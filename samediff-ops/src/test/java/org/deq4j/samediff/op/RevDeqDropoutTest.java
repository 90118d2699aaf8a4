package org.deq4j.samediff.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.cell.LockedDropoutCell;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.check.FiniteDifferences;
import org.deq4j.core.check.GradientComparison;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.MlpCell;
import org.deq4j.samediff.unrolled.UnrolledRevDeq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The RevDEQ op under locked dropout, float64, every step taken: its gradients against the unrolled
 * graph with the same mask (backpropagation through the same steps), against the core engine's
 * reversible adjoint on a {@link LockedDropoutCell} and against finite differences; the reverse loop
 * needs the forward's mask (a redrawn one breaks the reconstruction); the graph survives save/load.
 */
class RevDeqDropoutTest {
    private static final int STATE = 8;
    private static final int INPUT = 5;
    private static final int BATCH = 3;
    private static final double BETA = 0.8;
    private static final int STEPS = 6;
    private static final String[] WRT = {"x", "W", "U", "b"};

    private final TanhMlpCell coreCell = TanhMlpCell.random(STATE, INPUT, 0.6, 21, DataType.DOUBLE);
    private final INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(22), new long[] {BATCH, INPUT})
            .castTo(DataType.DOUBLE);
    private final INDArray c = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(23), new long[] {BATCH, STATE})
            .castTo(DataType.DOUBLE);
    private final INDArray mask = mask(24);

    private static INDArray mask(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return new VariationalDropout(0.4).sample(DataType.DOUBLE,
                new MlpCell(STATE, INPUT).dropoutMaskShape(new long[] {BATCH, STATE}));
    }

    private RevDeq deq() {
        return RevDeq.of(new MlpCell(STATE, INPUT), RevDeqFixture.float64(BETA, STEPS, 1e-300));
    }

    /** The op's graph with the mask as a placeholder and the loss sum(c ⊙ z_N). */
    private SameDiff opGraph() {
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", DataType.DOUBLE, -1, INPUT);
        SDVariable m = sd.placeHolder("m", DataType.DOUBLE, -1, STATE);
        SDVariable z = deq().apply(sd, xv, params(sd), m);
        sd.identity("z", z);
        z.mul(sd.constant("c", c)).sum().markAsLoss();
        return sd;
    }

    private List<SDVariable> params(SameDiff sd) {
        List<INDArray> p = coreCell.parameters();
        return List.of(sd.var("W", p.get(0).dup()), sd.var("U", p.get(1).dup()), sd.var("b", p.get(2).dup()));
    }

    private Map<String, INDArray> feed(INDArray m) {
        return Map.of("x", x, "m", m);
    }

    /** The unrolled reference with the same mask: z and the gradients by SameDiff autodiff. */
    private Map<String, INDArray> unrolled() {
        SameDiff u = SameDiff.create();
        SDVariable xv = u.placeHolder("x", DataType.DOUBLE, -1, INPUT);
        SDVariable m = u.placeHolder("m", DataType.DOUBLE, -1, STATE);
        SDVariable z = UnrolledRevDeq.apply(u, new MlpCell(STATE, INPUT), xv, params(u), BETA, STEPS, m);
        z.mul(u.constant("c", c)).sum().markAsLoss();
        Map<String, INDArray> out = new HashMap<>(u.calculateGradients(feed(mask), WRT));
        out.put("z", u.output(feed(mask), z.name()).get(z.name()));
        return out;
    }

    @Test
    void gradientsMatchTheUnrolledGraphAndTheCoreEngineWithTheSameMask() {
        SameDiff sd = opGraph();
        INDArray z = sd.output(feed(mask), "z").get("z");
        Map<String, INDArray> g = sd.calculateGradients(feed(mask), WRT);
        Map<String, INDArray> ref = unrolled();
        double worst = GradientComparison.relativeError(z, ref.get("z"));
        for (String v : WRT) {
            worst = Math.max(worst, GradientComparison.relativeError(g.get(v), ref.get(v)));
        }
        // the core engine: the same mask on an independent (plain ND4J) cell
        DeqGradients core = Deq.of(RevDeqFixture.float64(BETA, STEPS, 1e-300))
                .solve(new LockedDropoutCell(coreCell, State.of(mask)), State.of(x)).backward(State.of(c));
        double vsCore = GradientComparison.relativeError(g.get("x"), core.gx().part(0));
        for (int i = 0; i < 3; i++) {
            vsCore = Math.max(vsCore, GradientComparison.relativeError(g.get(WRT[1 + i]), core.gParams().get(i)));
        }
        System.out.printf("RevDEQ op with locked dropout: vs unrolled %.2e, vs core engine %.2e%n", worst, vsCore);
        assertTrue(worst < 1e-9, "vs unrolled " + worst);
        assertTrue(vsCore < 1e-9, "vs core engine " + vsCore);
        // the mask is in effect: without it the output differs
        SameDiff plain = SameDiff.create();
        SDVariable zPlain = deq().apply(plain, plain.placeHolder("x", DataType.DOUBLE, -1, INPUT), params(plain));
        INDArray unmasked = plain.output(Map.of("x", x), zPlain.name()).get(zPlain.name());
        assertTrue(unmasked.sub(z).amaxNumber().doubleValue() > 1e-3);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        SameDiff sd = opGraph();
        Map<String, INDArray> g = sd.calculateGradients(feed(mask), WRT);
        List<INDArray> targets = List.of(x, sd.getVariable("W").getArr(), sd.getVariable("U").getArr(),
                sd.getVariable("b").getArr());
        List<INDArray> grads = List.of(g.get("x"), g.get("W"), g.get("U"), g.get("b"));
        double err = FiniteDifferences.directional(targets, grads,
                () -> sd.output(feed(mask), "z").get("z").mul(c).sumNumber().doubleValue(), 1e-6,
                Nd4j.getRandomFactory().getNewRandomInstance(5)).maxRelativeError();
        System.out.printf("RevDEQ op with locked dropout vs finite differences %.2e%n", err);
        assertTrue(err < 1e-6, "vs finite differences " + err);
    }

    /**
     * The reverse loop rebuilds z_0 = 0 only with the forward's mask: a backward that drew a new mask
     * would show as drift and wrong gradients, which this test would see.
     */
    @Test
    void theReverseLoopNeedsTheForwardsMask() {
        try (RevDeqLoops loops = new RevDeqLoops(deq(), DataType.DOUBLE, List.of(DataType.DOUBLE, DataType.DOUBLE,
                DataType.DOUBLE), DataType.DOUBLE, x.shape())) {
            List<INDArray> p = coreCell.parameters();
            RevDeqLoops.Solve s = loops.solve(x, p, mask);
            INDArray zN = s.z().dup();
            INDArray yN = s.y().dup();
            INDArray steps = s.steps().dup();
            RevDeqLoops.Reverse same = loops.reverse(x, p, zN, yN, steps, c, mask);
            double drift = Math.max(same.z0().amaxNumber().doubleValue(), same.y0().amaxNumber().doubleValue());
            INDArray gxSame = same.gx().dup();
            Map<String, INDArray> ref = unrolled();
            assertTrue(drift < 1e-10, "drift with the forward's mask " + drift);
            assertTrue(GradientComparison.relativeError(gxSame, ref.get("x")) < 1e-9);
            assertTrue(GradientComparison.relativeError(zN, ref.get("z")) < 1e-12);

            RevDeqLoops.Reverse redrawn = loops.reverse(x, p, zN, yN, steps, c, mask(99));
            double badDrift = Math.max(redrawn.z0().amaxNumber().doubleValue(), redrawn.y0().amaxNumber().doubleValue());
            assertTrue(badDrift > 1e-3, "a redrawn mask must break the reconstruction, drift " + badDrift);
            assertTrue(GradientComparison.relativeError(redrawn.gx(), ref.get("x")) > 1e-3);
            // without dropout the loops run the plain variant: a different solve
            assertTrue(loops.solve(x, p).z().sub(zN).amaxNumber().doubleValue() > 1e-3);
        }
    }

    @Test
    void theMaskedOpSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
        SameDiff sd = opGraph();
        Map<String, INDArray> before = sd.calculateGradients(feed(mask), WRT);
        INDArray zBefore = sd.output(feed(mask), "z").get("z").dup();
        File file = dir.resolve("masked.sd").toFile();
        sd.save(file, true);
        SameDiff loaded = SameDiff.load(file, true);
        assertTrue(loaded.getVariable("z").eval(feed(mask)).equalsWithEps(zBefore, 1e-14));
        Map<String, INDArray> after = loaded.calculateGradients(feed(mask), WRT);
        for (String v : WRT) {
            assertArrayEquals(before.get(v).shape(), after.get(v).shape(), v);
            assertTrue(after.get(v).equalsWithEps(before.get(v), 1e-14), v);
        }
    }
}
