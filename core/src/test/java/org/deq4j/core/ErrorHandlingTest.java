package org.deq4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.FunctionalCell;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.cell.TupleTanhCell;
import org.deq4j.core.config.DeqConfigs;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Every deliberate failure mode raises its exception type with a message naming the problem (float64). */
class ErrorHandlingTest {
    private static final int BATCH = 6;
    private static final int STATE = 4;
    private static final int INPUT = 3;

    private static <T extends Throwable> T assertMessage(Class<T> type, Executable action, String... parts) {
        T e = assertThrows(type, action);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message lacks '" + p + "': " + e.getMessage());
        }
        return e;
    }

    private static TanhMlpCell mlp() {
        return TanhMlpCell.random(STATE, INPUT, 0.6, 7, DataType.DOUBLE);
    }

    private static INDArray input(DataType type) {
        return Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(3), BATCH, INPUT).castTo(type).subi(0.5);
    }

    private static Deq deq(org.deq4j.core.solver.Solver<?> solver, org.deq4j.core.adjoint.Adjoint adjoint,
            int steps) {
        return Deq.of(DeqConfig.builder().solver(solver).adjoint(adjoint).maxSteps(steps).tol(1e-12)
                .stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build());
    }

    // ---- reversible beta ----

    @Test
    void betaOfOneIsRejectedBecauseTheInverseDividesByOneMinusBeta() {
        assertMessage(InvalidConfigException.class, () -> new ReversibleSolver(1.0), "must not be 1", "1-beta");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.5, 2.0, 3.5, Double.NaN, Double.POSITIVE_INFINITY})
    void betaOutsideOpenIntervalZeroTwoIsRejected(double beta) {
        assertMessage(InvalidConfigException.class, () -> new ReversibleSolver(beta), "(0, 2)",
                String.valueOf(beta));
    }

    // ---- solver / adjoint pairing ----

    @Test
    void reversibleAdjointWithFixedPointSolverNamesBothAndTheAlternatives() {
        assertMessage(InvalidConfigException.class,
                () -> DeqConfig.builder().solver(FixedPointSolver.plain()).adjoint(new ReversibleAdjoint()).build(),
                "reversible adjoint", "'fixed_point'", "solver 'reversible'", "'implicit'", "'phantom'",
                "'unrolled'");
    }

    @Test
    void implicitAdjointRejectsAReversibleBackwardSolver() {
        assertMessage(InvalidConfigException.class,
                () -> new ImplicitAdjoint(new ReversibleSolver(0.8), StopCriterion.of(20, 1e-8)),
                "backward solver", "'fixed_point'", "not 'reversible'");
    }

    // ---- budget and tolerance ----

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -1e-3, Double.NaN, Double.POSITIVE_INFINITY})
    void nonPositiveOrNonFiniteToleranceIsRejected(double tol) {
        assertMessage(InvalidConfigException.class, () -> new StopCriterion(4, tol, StopMode.RELATIVE),
                "tolerance must be positive and finite", String.valueOf(tol));
        assertMessage(InvalidConfigException.class, () -> DeqConfig.builder().tol(tol).build(), "tolerance");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -3})
    void maxStepsBelowOneIsRejected(int steps) {
        assertMessage(InvalidConfigException.class, () -> DeqConfig.builder().maxSteps(steps).build(),
                "max steps must be at least 1", "got " + steps);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void phantomStepsBelowOneAreRejected(int k) {
        assertMessage(InvalidConfigException.class, () -> new PhantomAdjoint(k, 0.5), "phantom gradient steps k",
                "got " + k);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.2, 1.5, Double.NaN})
    void tauOutsideZeroOneIsRejected(double tau) {
        assertMessage(InvalidConfigException.class, () -> new PhantomAdjoint(2, tau), "phantom damping tau",
                "(0, 1]", String.valueOf(tau));
        assertMessage(InvalidConfigException.class, () -> new FixedPointSolver(tau), "relaxation tau", "(0, 1]",
                String.valueOf(tau));
    }

    @Test
    void nonPositiveDriftThresholdIsRejected() {
        assertMessage(InvalidConfigException.class, () -> new DriftCheck(0.0, DriftCheck.Action.FAIL),
                "drift threshold must be positive");
    }

    // ---- shapes ----

    /** A cell whose state is (batch, STATE) but whose output is (batch, width). */
    private static Cell wrongWidth(int width) {
        return FunctionalCell.builder()
                .forward((z, x, p) -> State.of(Nd4j.zeros(z.dataType(), z.batchSize(), width)))
                .vjp((z, x, p, g) -> {
                    throw new AssertionError("the forward solve must fail before any VJP");
                })
                .initialState((x, type) -> State.of(Nd4j.zeros(type, x.batchSize(), STATE)))
                .build();
    }

    @Test
    void cellOutputOfTheWrongShapeIsAShapeMismatch() {
        for (Deq d : List.of(deq(FixedPointSolver.plain(), new UnrolledAdjoint(), 5),
                deq(new ReversibleSolver(0.8), new ReversibleAdjoint(), 5))) {
            assertMessage(ShapeMismatchException.class, () -> d.solve(wrongWidth(STATE + 1), input(DataType.DOUBLE)),
                    "cell output f(z) part 0", "[6, 5]", "[6, 4]");
        }
    }

    @Test
    void tupleCellReturningTheWrongNumberOfPartsIsAShapeMismatch() {
        TupleTanhCell tuple = TupleTanhCell.random(STATE, INPUT, 0.6, 5, DataType.DOUBLE);
        Cell onePart = FunctionalCell.builder()
                .parameters(tuple.parameters())
                .forward((z, x, p) -> State.of(tuple.apply(z, x).part(0)))
                .vjp((z, x, p, g) -> tuple.valueAndVjp(z, x, g))
                .initialState(tuple::initialState)
                .build();
        assertMessage(ShapeMismatchException.class,
                () -> deq(FixedPointSolver.plain(), new UnrolledAdjoint(), 5).solve(onePart, input(DataType.DOUBLE)),
                "cell output f(z) has 1 parts", "the state has 2");
    }

    @Test
    void tupleCellWithOnePartMisshapenNamesThatPart() {
        TupleTanhCell tuple = TupleTanhCell.random(STATE, INPUT, 0.6, 5, DataType.DOUBLE);
        Cell bad = FunctionalCell.builder()
                .parameters(tuple.parameters())
                .forward((z, x, p) -> State.of(tuple.apply(z, x).part(0),
                        Nd4j.zeros(DataType.DOUBLE, z.batchSize(), STATE, 2)))
                .vjp((z, x, p, g) -> tuple.valueAndVjp(z, x, g))
                .initialState(tuple::initialState)
                .build();
        assertMessage(ShapeMismatchException.class,
                () -> deq(new ReversibleSolver(0.8), new ReversibleAdjoint(), 5).solve(bad, input(DataType.DOUBLE)),
                "cell output f(z) part 1", "[6, 4, 2]", "[6, 4]");
    }

    static Stream<Arguments> adjoints() {
        StopCriterion back = new StopCriterion(30, 1e-10, StopMode.ABSOLUTE);
        return Stream.of(
                Arguments.of(new ReversibleSolver(0.8), new ReversibleAdjoint()),
                Arguments.of(FixedPointSolver.plain(), new UnrolledAdjoint()),
                Arguments.of(FixedPointSolver.plain(), new ImplicitAdjoint(FixedPointSolver.plain(), back)),
                Arguments.of(FixedPointSolver.plain(), new PhantomAdjoint(3, 0.5)));
    }

    @ParameterizedTest
    @MethodSource("adjoints")
    void outputGradientOfTheWrongShapeIsRejectedByEveryAdjoint(org.deq4j.core.solver.Solver<?> solver,
            org.deq4j.core.adjoint.Adjoint adjoint) {
        DeqSolution sol = deq(solver, adjoint, 4).solve(mlp(), input(DataType.DOUBLE));
        assertMessage(ShapeMismatchException.class,
                () -> sol.backward(State.of(Nd4j.ones(DataType.DOUBLE, BATCH, STATE + 1))),
                "output gradient part 0", "[6, 5]", "[6, 4]");
        assertMessage(ShapeMismatchException.class,
                () -> sol.backward(State.of(Nd4j.ones(DataType.DOUBLE, BATCH, STATE),
                        Nd4j.ones(DataType.DOUBLE, BATCH, STATE))),
                "output gradient has 2 parts", "the state has 1");
    }

    // ---- divergence ----

    /** The reference MLP, except that its {@code poisonedCall}-th evaluation puts {@code value} in one sample. */
    private static Cell poisoned(TanhMlpCell ref, int poisonedCall, int sample, double value) {
        AtomicInteger calls = new AtomicInteger();
        return FunctionalCell.builder()
                .parameters(ref.parameters())
                .forward((z, x, p) -> {
                    State out = ref.apply(z, x);
                    if (calls.incrementAndGet() == poisonedCall) {
                        out.part(0).getRow(sample).assign(value);
                    }
                    return out;
                })
                .vjp((z, x, p, g) -> ref.valueAndVjp(z, x, g))
                .initialState(ref::initialState)
                .build();
    }

    static Stream<Arguments> poisonings() {
        // Fixed point: evaluation 1 is the initial one (step 0), evaluation n+1 ends step n.
        // Reversible: step n evaluates f(y) (call 2n) and then f(z) (call 2n+1); a bad f(y) spoils z_n.
        return Stream.of(
                Arguments.of(FixedPointSolver.plain(), new UnrolledAdjoint(), 4, Double.NaN, 3),
                Arguments.of(FixedPointSolver.plain(), new UnrolledAdjoint(), 6, Double.POSITIVE_INFINITY, 5),
                Arguments.of(new ReversibleSolver(0.8), new ReversibleAdjoint(), 1, Double.NaN, 0),
                Arguments.of(new ReversibleSolver(0.8), new ReversibleAdjoint(), 6, Double.NaN, 3),
                Arguments.of(new ReversibleSolver(0.8), new ReversibleAdjoint(), 7, Double.NEGATIVE_INFINITY, 3));
    }

    @ParameterizedTest
    @MethodSource("poisonings")
    void nonFiniteStateReportsTheStepAndTheSample(org.deq4j.core.solver.Solver<?> solver,
            org.deq4j.core.adjoint.Adjoint adjoint, int poisonedCall, double value, int expectedStep) {
        int sample = 3;
        DivergenceException e = assertMessage(DivergenceException.class,
                () -> deq(solver, adjoint, 10).solve(poisoned(mlp(), poisonedCall, sample, value),
                        input(DataType.DOUBLE)),
                "forward solve", "step " + expectedStep, "sample " + sample);
        assertEquals(expectedStep, e.step());
        assertEquals(sample, e.sample());
    }

    // ---- reversible drift ----

    @Test
    void driftCheckFailsForAFloat32StateOverManyStepsButNotForFloat64OverFew() {
        DriftCheck fail = new DriftCheck(1e-6, DriftCheck.Action.FAIL);

        Deq float64 = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(0.8))
                .adjoint(new ReversibleAdjoint(fail)).maxSteps(4).tol(1e-30).precision(PrecisionPolicy.DOUBLE).build());
        DeqSolution ok = float64.solve(mlp(), input(DataType.DOUBLE));
        double drift64 = ok.backward(State.of(Nd4j.ones(DataType.DOUBLE, BATCH, STATE))).stats().drift()
                .orElseThrow();
        assertTrue(drift64 < fail.threshold(), "float64 drift after 4 steps: " + drift64);

        TanhMlpCell cell32 = TanhMlpCell.random(STATE, INPUT, 0.6, 7, DataType.FLOAT);
        Deq float32 = Deq.of(DeqConfig.builder().solver(new ReversibleSolver(0.8))
                .adjoint(new ReversibleAdjoint(fail)).maxSteps(20).tol(1e-30).precision(PrecisionPolicy.FLOAT).build());
        DeqSolution sol = float32.solve(cell32, input(DataType.FLOAT));
        DriftException e = assertMessage(DriftException.class,
                () -> sol.backward(State.of(Nd4j.ones(DataType.FLOAT, BATCH, STATE))),
                "drift", "exceeds the threshold", "20 steps", "beta 0.8", "float64");
        assertTrue(e.drift() > fail.threshold() || Double.isNaN(e.drift()), "reported drift " + e.drift());
        System.out.printf("reversible drift: float64 4 steps %.3e, float32 20 steps %.3e%n", drift64, e.drift());
    }

    // ---- configuration maps ----

    @Test
    void unknownConfigKeyIsRejectedWithTheNearestValidKey() {
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("f_max_iters", 10)),
                "unknown configuration key 'f_max_iters'", "did you mean 'f_max_iter'?");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("betta", "0.8")),
                "'betta'", "did you mean 'beta'?");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("F_TOL", "1e-3")),
                "'F_TOL'", "did you mean 'f_tol'?");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("b_stopmode", "abs")),
                "did you mean 'b_stop_mode'?");
    }

    @Test
    void oldTorchdeqKeyNamesPointToTheirNewNames() {
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("f_thres", 40)),
                "'f_thres'", "did you mean 'f_max_iter'?");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("b_eps", 1e-6)),
                "'b_eps'", "did you mean 'b_tol'?");
    }

    @Test
    void everyUnknownKeyIsNamedAndUnrelatedOnesListTheValidKeys() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("f_solver", "reversible");
        m.put("f_tol_", 1e-4);
        m.put("jacobian_regularisation_weight", 0.1);
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(m),
                "unknown configuration keys", "'f_tol_' (did you mean 'f_tol'?)", "'jacobian_regularisation_weight'",
                "valid keys are", "f_max_iter", "drift_action");
    }

    @Test
    void configValueErrorsNameTheKey() {
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("f_tol", "0")),
                "config key 'f_tol'", "tolerance must be positive");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("f_max_iter", 0)),
                "config key 'f_max_iter'", "at least 1");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("f_max_iter", "ten")),
                "config key 'f_max_iter'", "expected an integer", "'ten'");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("beta", 1)),
                "config key 'beta'", "must not be 1");
        assertMessage(InvalidConfigException.class,
                () -> DeqConfigs.fromMap(Map.of("f_solver", "fixed_point", "adjoint", "phantom", "grad", -2)),
                "config key 'grad'", "at least 1");
        assertMessage(InvalidConfigException.class,
                () -> DeqConfigs.fromMap(Map.of("f_solver", "fixed_point", "adjoint", "phantom", "tau", "1.5")),
                "config key 'tau'", "(0, 1]");
        assertMessage(InvalidConfigException.class,
                () -> DeqConfigs.fromMap(Map.of("f_solver", "fixed_point", "f_tau", 0)),
                "config key 'f_tau'", "(0, 1]");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("ift", "yes")),
                "config key 'ift'", "true or false");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("drift_action", "explode")),
                "config key 'drift_action'", "ignore, warn or fail");
        assertMessage(InvalidConfigException.class, () -> DeqConfigs.fromMap(Map.of("state_dtype", "int32")),
                "config key 'state_dtype'", "float64");
    }

    @Test
    void configMapPairingErrorsNameTheKeys() {
        assertMessage(InvalidConfigException.class,
                () -> DeqConfigs.fromMap(Map.of("f_solver", "fixed_point_iter", "adjoint", "reversible")),
                "'f_solver'", "'adjoint'", "reversible adjoint", "'implicit'");
        assertMessage(InvalidConfigException.class,
                () -> DeqConfigs.fromMap(Map.of("ift", true, "b_solver", "reversible")),
                "config key 'b_solver'", "'fixed_point'");
    }
}
