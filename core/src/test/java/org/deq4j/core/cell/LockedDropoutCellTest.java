package org.deq4j.core.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.check.FiniteDifferences;
import org.deq4j.core.check.GradientComparison;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LockedDropoutCellTest {
    private static final VariationalDropout DROPOUT = new VariationalDropout(0.3);

    private final TanhMlpCell inner = TanhMlpCell.random(6, 4, 0.8, 3, DataType.DOUBLE);
    private final State x = State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(5), new long[] {3, 4}).castTo(DataType.DOUBLE));

    private static State mask(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return State.of(DROPOUT.sample(DataType.DOUBLE, 3, 6));
    }

    @Test
    void valueAndVjpAreTheInnerCellsAtTheMaskedState() {
        State m = mask(1);
        LockedDropoutCell cell = new LockedDropoutCell(inner, m);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(9);
        State z = State.of(Nd4j.randn(rng, new long[] {3, 6}).castTo(DataType.DOUBLE));
        State g = State.of(Nd4j.randn(rng, new long[] {3, 6}).castTo(DataType.DOUBLE));
        CellVjp expected = inner.valueAndVjp(State.of(z.part(0).mul(m.part(0))), x, g);
        CellVjp actual = cell.valueAndVjp(z, x, g);
        assertEquals(0.0, actual.value().maxAbsDifference(expected.value()), 0.0);
        assertEquals(0.0, actual.gz().maxAbsDifference(State.of(expected.gz().part(0).mul(m.part(0)))), 0.0);
        assertEquals(0.0, actual.gx().maxAbsDifference(expected.gx()), 0.0);
        assertEquals(0.0, cell.apply(z, x).maxAbsDifference(expected.value()), 0.0);
    }

    /** Broadcast masks (one entry per sample and channel) reach every position of the channel. */
    @Test
    void aChannelMaskBroadcastsOverTheRemainingDimensions() {
        INDArray m = Nd4j.createFromArray(new double[] {0, 2}).reshape(1, 2, 1);
        Cell identity = FunctionalCell.builder().parameters(java.util.List.of())
                .forward((z, in, p) -> z.map(INDArray::dup))
                .vjp((z, in, p, g) -> new CellVjp(z.map(INDArray::dup), g.map(INDArray::dup), in.zerosLike(),
                        java.util.List.of()))
                .build();
        State z = State.of(Nd4j.ones(DataType.DOUBLE, 1, 2, 3));
        State out = new LockedDropoutCell(identity, State.of(m)).apply(z, z);
        assertEquals(0.0, out.part(0).get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0)).amaxNumber().doubleValue(), 0.0);
        assertEquals(6.0, out.part(0).sumNumber().doubleValue(), 0.0);
    }

    /** With the mask fixed, the reversible backward is exact: unrolled to 1e-9, finite differences to 1e-6. */
    @Test
    void reversibleGradientsWithAFixedMaskMatchUnrolledAndFiniteDifferences() {
        LockedDropoutCell cell = new LockedDropoutCell(inner, mask(2));
        State w = State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(6), new long[] {3, 6}).castTo(DataType.DOUBLE));
        Deq reversible = Deq.of(config(new ReversibleAdjoint(new DriftCheck(1e-6, DriftCheck.Action.IGNORE))));
        DeqGradients g = reversible.solve(cell, x).backward(w);
        DeqGradients ref = Deq.of(config(new UnrolledAdjoint())).solve(cell, x).backward(w);
        double vsUnrolled = GradientComparison.maxRelativeError(g, ref);
        double vsFd = FiniteDifferences.check(reversible, cell, x, w, 1e-6, 11).maxRelativeError();
        System.out.printf("locked dropout, reversible vs unrolled %.2e, vs finite differences %.2e%n", vsUnrolled, vsFd);
        assertTrue(vsUnrolled < 1e-9, "vs unrolled " + vsUnrolled);
        assertTrue(vsFd < 1e-6, "vs finite differences " + vsFd);
        // and the mask matters: without it the gradients differ
        DeqGradients plain = reversible.solve(inner, x).backward(w);
        assertTrue(GradientComparison.maxRelativeError(g, plain) > 1e-3);
    }

    @Test
    void masksAreZeroOrTheInverseKeepRateAndReproducibleFromTheSeed() {
        Nd4j.getRandom().setSeed(42);
        INDArray a = DROPOUT.sample(DataType.DOUBLE, 200, 50);
        Nd4j.getRandom().setSeed(42);
        INDArray b = DROPOUT.sample(DataType.DOUBLE, 200, 50);
        assertEquals(a, b);
        double keep = 1 / 0.7;
        for (double v : a.data().asDouble()) {
            assertTrue(v == 0 || Math.abs(v - keep) < 1e-12, "entry " + v);
        }
        double dropped = a.eq(0.0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        assertEquals(0.3, dropped, 0.02);
        assertEquals(1.0, a.meanNumber().doubleValue(), 0.03);
        assertEquals(Nd4j.ones(DataType.FLOAT, 2, 3), VariationalDropout.OFF.sample(DataType.FLOAT, 2, 3));
    }

    @Test
    void ratesOutsideZeroToOneAreRejected() {
        for (double bad : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new VariationalDropout(bad));
            assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
        }
        assertEquals(4, VariationalDropout.channelMaskShape(new long[] {5, 8, 3, 3}).length);
        assertEquals(1L, VariationalDropout.channelMaskShape(new long[] {5, 8, 3, 3})[2]);
        assertEquals(8L, VariationalDropout.channelMaskShape(new long[] {5, 8})[1]);
    }

    private static DeqConfig config(org.deq4j.core.adjoint.Adjoint adjoint) {
        return DeqConfig.builder().solver(new ReversibleSolver(0.8)).adjoint(adjoint).maxSteps(6).tol(1e-300)
                .stopMode(StopMode.RELATIVE).precision(PrecisionPolicy.DOUBLE).build();
    }
}
