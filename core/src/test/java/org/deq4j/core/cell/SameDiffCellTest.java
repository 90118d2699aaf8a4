package org.deq4j.core.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

class SameDiffCellTest {
    private static final int D = 6;
    private static final int IN = 4;
    private static final int BATCH = 5;

    /** tanh(z W + x U + b) as a SameDiff graph over the given (live) arrays. */
    static SameDiffCell tanhMlp(INDArray w, INDArray u, INDArray b) {
        return SameDiffCell.builder()
                .state("z", w.size(1))
                .injection("x", u.size(0))
                .parameter("W", w).parameter("U", u).parameter("b", b)
                .define(g -> List.of(g.sd().math().tanh(
                        g.z().mmul(g.param("W")).add(g.x().mmul(g.param("U"))).add(g.param("b")))))
                .build();
    }

    private static SameDiffCell tanhMlp(Cell ref) {
        List<INDArray> p = ref.parameters();
        return tanhMlp(p.get(0), p.get(1), p.get(2));
    }

    private static State randn(long seed, DataType type, long... shape) {
        return State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(type));
    }

    private static INDArray randn(org.nd4j.linalg.api.rng.Random rng, long[] shape) {
        return Nd4j.randn(rng, shape).castTo(DataType.DOUBLE);
    }

    private static void assertClose(State expected, State actual, double tol) {
        expected.requireSameShape(actual, "actual", false);
        double err = expected.maxAbsDifference(actual);
        assertTrue(err <= tol, "max abs difference " + err + " > " + tol);
    }

    private static void assertClose(List<INDArray> expected, List<INDArray> actual, double tol) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertClose(State.of(expected.get(i)), State.of(actual.get(i)), tol);
        }
    }

    private static void assertVjpClose(CellVjp expected, CellVjp actual, double tol) {
        assertClose(expected.value(), actual.value(), tol);
        assertClose(expected.gz(), actual.gz(), tol);
        assertClose(expected.gx(), actual.gx(), tol);
        assertClose(expected.gParams(), actual.gParams(), tol);
    }

    @Test
    void matchesTanhMlpCellInValueAndEveryVjpPart() {
        TanhMlpCell ref = TanhMlpCell.random(D, IN, 0.9, 1, DataType.DOUBLE);
        SameDiffCell cell = tanhMlp(ref);
        for (int batch : new int[] {BATCH, 2}) { // dynamic batch: one graph, two sizes
            State z = randn(10 + batch, DataType.DOUBLE, batch, D);
            State x = randn(20 + batch, DataType.DOUBLE, batch, IN);
            State g = randn(30 + batch, DataType.DOUBLE, batch, D);
            assertClose(ref.apply(z, x), cell.apply(z, x), 1e-12);
            assertVjpClose(ref.valueAndVjp(z, x, g), cell.valueAndVjp(z, x, g), 1e-12);
        }
    }

    @Test
    void tupleStateMatchesTupleTanhCell() {
        TupleTanhCell ref = TupleTanhCell.random(D, IN, 0.9, 2, DataType.DOUBLE);
        List<INDArray> p = ref.parameters();
        SameDiffCell cell = SameDiffCell.builder()
                .state("u", D).state("v", D)
                .injection("x", IN)
                .parameter("A", p.get(0)).parameter("B", p.get(1)).parameter("C", p.get(2))
                .parameter("D", p.get(3)).parameter("E", p.get(4))
                .define(g -> {
                    SDVariable u = g.z(0);
                    SDVariable v = g.z(1);
                    SDVariable x = g.x();
                    return List.of(
                            g.sd().math().tanh(u.mmul(g.param("A")).add(v.mmul(g.param("B"))).add(x.mmul(g.param("C")))),
                            g.sd().math().tanh(u.mmul(g.param("D")).add(x.mmul(g.param("E")))));
                })
                .build();
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(3);
        State z = State.of(randn(rng, new long[] {BATCH, D}), randn(rng, new long[] {BATCH, D}));
        State x = State.of(randn(rng, new long[] {BATCH, IN}));
        State g = State.of(randn(rng, new long[] {BATCH, D}), randn(rng, new long[] {BATCH, D}));
        assertClose(ref.apply(z, x), cell.apply(z, x), 1e-12);
        assertVjpClose(ref.valueAndVjp(z, x, g), cell.valueAndVjp(z, x, g), 1e-12);
        assertClose(ref.initialState(x, DataType.DOUBLE), cell.initialState(x, DataType.DOUBLE), 0);
    }

    /**
     * A cell with two injections and an output that mixes several nonlinear ops, checked by central
     * differences of {@code <g, f(z, x)>} along random directions in z, each x part and each parameter.
     */
    @Test
    void vjpMatchesCentralFiniteDifferences() {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(4);
        INDArray w = randn(rng, new long[] {D, D}).muli(0.3);
        INDArray s = randn(rng, new long[] {1, D});
        SameDiffCell cell = SameDiffCell.builder()
                .state("z", D)
                .injection("x1", D).injection("x2", 1)
                .parameter("W", w).parameter("s", s)
                .define(g -> {
                    SameDiff sd = g.sd();
                    SDVariable a = sd.math().tanh(g.z().mmul(g.param("W")).add(g.x(0)));
                    SDVariable gate = sd.nn().sigmoid(g.x(1).mul(g.param("s")));
                    return List.of(a.mul(gate).add(sd.math().sin(g.z()).mul(0.1)));
                })
                .build();
        State z = State.of(randn(rng, new long[] {BATCH, D}));
        State x = State.of(randn(rng, new long[] {BATCH, D}), randn(rng, new long[] {BATCH, 1}));
        State gOut = State.of(randn(rng, new long[] {BATCH, D}));
        CellVjp vjp = cell.valueAndVjp(z, x, gOut);
        assertClose(cell.apply(z, x), vjp.value(), 1e-14);

        double h = 1e-5;
        for (int part = 0; part < z.size(); part++) {
            INDArray dir = randn(rng, z.part(part).shape());
            assertDirectional(cell, z, x, gOut, z.part(part), dir, vjp.gz().part(part), h);
        }
        for (int part = 0; part < x.size(); part++) {
            INDArray dir = randn(rng, x.part(part).shape());
            assertDirectional(cell, z, x, gOut, x.part(part), dir, vjp.gx().part(part), h);
        }
        for (int i = 0; i < cell.parameters().size(); i++) {
            INDArray p = cell.parameters().get(i);
            // Perturbing the parameter array in place also exercises the live-parameter contract.
            assertDirectional(cell, z, x, gOut, p, randn(rng, p.shape()), vjp.gParams().get(i), h);
        }
    }

    /** Checks d/dt <g, f> at t = 0 along {@code dir} added to {@code target} in place, against <grad, dir>. */
    private static void assertDirectional(Cell cell, State z, State x, State gOut, INDArray target, INDArray dir,
                                          INDArray grad, double h) {
        INDArray orig = target.dup();
        target.addi(dir.mul(h));
        double plus = gOut.dot(cell.apply(z, x));
        target.assign(orig).subi(dir.mul(h));
        double minus = gOut.dot(cell.apply(z, x));
        target.assign(orig);
        double fd = (plus - minus) / (2 * h);
        double analytic = grad.mul(dir).sumNumber().doubleValue();
        assertEquals(fd, analytic, 1e-7 * Math.max(1, Math.abs(fd)), "directional derivative");
    }

    @Test
    void valueAndVjpEvaluatesTheForwardOnce() {
        SameDiffCell cell = tanhMlp(TanhMlpCell.random(D, IN, 0.9, 14, DataType.DOUBLE));
        int[] forwardTanh = {0};
        // The gradient function runs with the graph's listeners; count executions of the forward tanh op.
        cell.graph().addListeners(new BaseListener() {
            @Override
            public boolean isActive(Operation operation) {
                return true;
            }

            @Override
            public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx,
                                    INDArray[] outputs) {
                if (op.getOp().opName().equals("tanh")) {
                    forwardTanh[0]++;
                }
            }
        });
        State z = randn(1, DataType.DOUBLE, BATCH, D);
        State x = randn(2, DataType.DOUBLE, BATCH, IN);
        State g = randn(3, DataType.DOUBLE, BATCH, D);
        for (int call = 1; call <= 3; call++) {
            cell.valueAndVjp(z, x, g);
            assertEquals(call, forwardTanh[0], "forward tanh executions after " + call + " valueAndVjp calls");
        }
        assertTrue(cell.graph().hasGradientFunction());
    }

    @Test
    void parametersAreLiveArrays() {
        TanhMlpCell ref = TanhMlpCell.random(D, IN, 0.9, 5, DataType.DOUBLE);
        SameDiffCell cell = tanhMlp(ref);
        State z = randn(1, DataType.DOUBLE, BATCH, D);
        State x = randn(2, DataType.DOUBLE, BATCH, IN);
        State g = randn(3, DataType.DOUBLE, BATCH, D);
        State before = cell.apply(z, x);
        cell.valueAndVjp(z, x, g); // the gradient function must see updates made after its creation too
        for (int i = 0; i < 3; i++) {
            assertTrue(cell.parameters().get(i) == ref.parameters().get(i), "parameter " + i + " is not the given array");
        }
        ref.parameters().get(0).muli(0.5);
        ref.parameters().get(2).addi(0.25);
        State after = cell.apply(z, x);
        assertTrue(before.maxAbsDifference(after) > 1e-3, "in-place parameter update did not change the output");
        assertClose(ref.apply(z, x), after, 1e-12);
        assertVjpClose(ref.valueAndVjp(z, x, g), cell.valueAndVjp(z, x, g), 1e-12);
    }

    @Test
    void resultsAreNotOverwrittenByLaterCalls() {
        SameDiffCell cell = tanhMlp(TanhMlpCell.random(D, IN, 0.9, 6, DataType.DOUBLE));
        State x = randn(2, DataType.DOUBLE, BATCH, IN);
        State g = randn(3, DataType.DOUBLE, BATCH, D);
        State z1 = randn(4, DataType.DOUBLE, BATCH, D);
        State z2 = randn(5, DataType.DOUBLE, BATCH, D);
        State f1 = cell.apply(z1, x);
        CellVjp v1 = cell.valueAndVjp(z1, x, g);
        State f1Copy = f1.dup();
        CellVjp v1Copy = new CellVjp(v1.value().dup(), v1.gz().dup(), v1.gx().dup(),
                v1.gParams().stream().map(INDArray::dup).toList());
        cell.apply(z2, x);
        cell.valueAndVjp(z2, x, g);
        assertClose(f1Copy, f1, 0);
        assertVjpClose(v1Copy, v1, 0);
        assertFalse(f1.part(0) == z1.part(0), "output aliases the input");
    }

    @Test
    void deqGradientsEqualThoseOfTanhMlpCell() {
        TanhMlpCell ref = TanhMlpCell.random(D, IN, 0.8, 7, DataType.DOUBLE);
        SameDiffCell cell = tanhMlp(ref);
        State x = randn(8, DataType.DOUBLE, BATCH, IN);
        State gz = randn(9, DataType.DOUBLE, BATCH, D);
        record Setup(Solver<?> solver, Adjoint adjoint) { }
        for (Setup s : List.of(new Setup(new ReversibleSolver(0.8), new ReversibleAdjoint()),
                new Setup(FixedPointSolver.plain(), new UnrolledAdjoint()),
                new Setup(new ReversibleSolver(0.8), new UnrolledAdjoint()))) {
            Deq deq = Deq.of(DeqConfig.builder().precision(PrecisionPolicy.DOUBLE)
                    .solver(s.solver()).adjoint(s.adjoint()).maxSteps(6).tol(1e-14).build());
            var refSol = deq.solve(ref, x);
            var sol = deq.solve(cell, x);
            assertClose(refSol.z(), sol.z(), 1e-12);
            DeqGradients expected = refSol.backward(gz);
            DeqGradients actual = sol.backward(gz);
            assertClose(expected.gx(), actual.gx(), 1e-11);
            assertClose(expected.gParams(), actual.gParams(), 1e-11);
        }
    }

    @Test
    void float32GraphUnderMixedPrecisionIsWithinFloat32AccuracyOfFloat64() {
        TanhMlpCell ref = TanhMlpCell.random(D, IN, 0.8, 10, DataType.DOUBLE);
        List<INDArray> p32 = ref.parameters().stream().map(a -> a.castTo(DataType.FLOAT)).toList();
        SameDiffCell cell32 = tanhMlp(p32.get(0), p32.get(1), p32.get(2));
        assertEquals(DataType.FLOAT, cell32.dataType());
        State x = randn(11, DataType.DOUBLE, BATCH, IN);
        State gz = randn(12, DataType.DOUBLE, BATCH, D);
        DeqConfig.Builder config = DeqConfig.builder().maxSteps(6).tol(1e-14);
        DeqGradients expected = Deq.of(config.precision(PrecisionPolicy.DOUBLE).build()).solve(ref, x).backward(gz);
        var sol = Deq.of(config.precision(PrecisionPolicy.MIXED).build()).solve(cell32, x);
        assertEquals(DataType.DOUBLE, sol.z().dataType());
        DeqGradients actual = sol.backward(gz);
        assertEquals(DataType.DOUBLE, actual.gx().dataType());
        assertClose(expected.gx(), actual.gx(), 1e-4);
        assertClose(expected.gParams(), actual.gParams().stream().map(a -> a.castTo(DataType.DOUBLE)).toList(), 1e-4);
        // and the difference is rounding, not a wrong gradient: it is far above float64 precision
        assertTrue(expected.gx().maxAbsDifference(actual.gx()) > 1e-12);
    }

    @Test
    void outputShapedUnlikeTheStateIsAShapeMismatch() {
        SameDiffCell cell = SameDiffCell.builder()
                .state("z", D).injection("x", IN)
                .parameter("W", Nd4j.rand(DataType.DOUBLE, D, D + 1))
                .define(g -> List.of(g.sd().math().tanh(g.z().mmul(g.param("W")))))
                .build();
        State z = randn(1, DataType.DOUBLE, BATCH, D);
        State x = randn(2, DataType.DOUBLE, BATCH, IN);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> cell.apply(z, x));
        assertTrue(e.getMessage().contains("output"), e.getMessage());
        assertThrows(ShapeMismatchException.class, () -> cell.valueAndVjp(z, x, z));
    }

    @Test
    void wrongInputsAreShapeMismatches() {
        SameDiffCell cell = tanhMlp(TanhMlpCell.random(D, IN, 0.9, 12, DataType.DOUBLE));
        State x = randn(2, DataType.DOUBLE, BATCH, IN);
        assertThrows(ShapeMismatchException.class, () -> cell.apply(randn(1, DataType.DOUBLE, BATCH, D + 1), x));
        assertThrows(ShapeMismatchException.class, () -> cell.apply(randn(1, DataType.FLOAT, BATCH, D), x));
        assertThrows(ShapeMismatchException.class, () -> cell.apply(randn(1, DataType.DOUBLE, BATCH + 1, D), x));
    }

    @Test
    void fromGraphRunsAnExistingGraphAndRejectsMissingNames() {
        TanhMlpCell ref = TanhMlpCell.random(D, IN, 0.9, 13, DataType.DOUBLE);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.placeHolder("z", DataType.DOUBLE, -1, D);
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, IN);
        SDVariable w = sd.var("W", ref.parameters().get(0));
        SDVariable u = sd.var("U", ref.parameters().get(1));
        SDVariable b = sd.var("b", ref.parameters().get(2));
        sd.math().tanh("out", z.mmul(w).add(x.mmul(u)).add(b));

        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> SameDiffCell.fromGraph(sd, List.of("z"), List.of("x"), List.of("nope")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertThrows(InvalidConfigException.class,
                () -> SameDiffCell.fromGraph(sd, List.of("z"), List.of("x"), List.of("W")));
        assertThrows(InvalidConfigException.class,
                () -> SameDiffCell.fromGraph(sd, List.of("W"), List.of("x"), List.of("out")));

        SameDiffCell cell = SameDiffCell.fromGraph(sd, List.of("z"), List.of("x"), List.of("out"));
        cell.valueAndVjp(randn(4, DataType.DOUBLE, 1, D), randn(5, DataType.DOUBLE, 1, IN),
                randn(6, DataType.DOUBLE, 1, D));
        assertThrows(InvalidConfigException.class,
                () -> SameDiffCell.fromGraph(sd, List.of("z"), List.of("x"), List.of("out")));
        assertEquals(List.of("U", "W", "b"), cell.parameterNames());
        State zs = randn(1, DataType.DOUBLE, BATCH, D);
        State xs = randn(2, DataType.DOUBLE, BATCH, IN);
        State g = randn(3, DataType.DOUBLE, BATCH, D);
        CellVjp expected = ref.valueAndVjp(zs, xs, g);
        List<INDArray> p = expected.gParams();
        assertVjpClose(new CellVjp(expected.value(), expected.gz(), expected.gx(), List.of(p.get(1), p.get(0), p.get(2))),
                cell.valueAndVjp(zs, xs, g), 1e-12);
    }

    @Test
    void builderRejectsBadDefinitions() {
        INDArray w = Nd4j.rand(DataType.DOUBLE, D, D);
        assertThrows(InvalidConfigException.class, () -> SameDiffCell.builder().state("z", D)
                .parameter("W", w).build());
        assertThrows(InvalidConfigException.class, () -> SameDiffCell.builder().state("z", D).state("v", D)
                .parameter("W", w).define(g -> List.of(g.z(0).mmul(g.param("W")))).build());
        assertThrows(InvalidConfigException.class, () -> SameDiffCell.builder().state("z", D)
                .parameter("W", w).define(g -> List.of(g.z().mmul(g.param("V")))).build());
        assertThrows(InvalidConfigException.class, () -> SameDiffCell.builder().state("z", D)
                .parameter("W", w).parameter("W2", w));
        assertThrows(InvalidConfigException.class, () -> SameDiffCell.builder().state("z", D)
                .parameter("W", w).parameter("V", Nd4j.rand(DataType.FLOAT, D, D))
                .define(g -> List.of(g.z().mmul(g.param("W")))).build());
    }
}
