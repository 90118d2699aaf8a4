package org.deq4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.core.solver.AndersonSolver;
import org.deq4j.core.solver.BroydenSolver;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/** The torchdeq-style map form of {@link DeqConfig}: mapping, defaults, strictness and round trips. */
class DeqConfigsTest {

    private static void assertRejected(Map<String, ?> map, String... parts) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> DeqConfigs.fromMap(map));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message lacks '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void emptyMapGivesTheBuilderDefaults() {
        assertEquals(DeqConfig.builder().build(), DeqConfigs.fromMap(Map.of()));
    }

    @Test
    void torchdeqImplicitConfigurationMapsToTheImplicitAdjoint() {
        Map<String, Object> m = Map.of("core", "sliced", "f_solver", "fixed_point_iter", "f_max_iter", "40",
                "f_tol", 1e-3, "f_stop_mode", "abs", "ift", "true", "b_solver", "fixed_point_iter",
                "b_max_iter", 40.0, "b_tol", "1e-6", "n_states", 1);
        DeqConfig expected = DeqConfig.builder().solver(FixedPointSolver.plain())
                .adjoint(new ImplicitAdjoint(FixedPointSolver.plain(), new StopCriterion(40, 1e-6, StopMode.ABSOLUTE)))
                .maxSteps(40).tol(1e-3).stopMode(StopMode.ABSOLUTE).build();
        assertEquals(expected, DeqConfigs.fromMap(m));
    }

    @Test
    void torchdeqWithoutIftMeansThePhantomGradient() {
        DeqConfig c = DeqConfigs.fromMap(Map.of("f_solver", "fixed_point_iter", "grad", List.of(3), "tau", "0.6"));
        assertEquals(new PhantomAdjoint(3, 0.6), c.adjoint());
        assertEquals(new PhantomAdjoint(1, 1.0),
                DeqConfigs.fromMap(Map.of("f_solver", "fixed_point", "ift", false)).adjoint());
    }

    @Test
    void reversibleKeysBuildTheReversibleSolverAndAdjoint() {
        DeqConfig c = DeqConfigs.fromMap(Map.of("f_solver", "Reversible", "beta", "1.2", "f_max_iter", 8,
                "drift_threshold", "1e-9", "drift_action", "FAIL", "state_dtype", "float64", "compute_dtype",
                "float64"));
        DeqConfig expected = DeqConfig.builder().solver(new ReversibleSolver(1.2))
                .adjoint(new ReversibleAdjoint(new DriftCheck(1e-9, DriftCheck.Action.FAIL))).maxSteps(8)
                .precision(PrecisionPolicy.DOUBLE).build();
        assertEquals(expected, c);
    }

    static Stream<DeqConfig> configurations() {
        return Stream.of(
                DeqConfig.builder().build(),
                DeqConfig.builder().solver(new ReversibleSolver(1.3))
                        .adjoint(new ReversibleAdjoint(new DriftCheck(3e-8, DriftCheck.Action.IGNORE))).maxSteps(12)
                        .tol(2.5e-5).stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.FLOAT).build(),
                DeqConfig.builder().solver(new ReversibleSolver(0.5)).adjoint(new UnrolledAdjoint())
                        .precision(new PrecisionPolicy(DataType.DOUBLE, DataType.BFLOAT16)).build(),
                DeqConfig.builder().solver(new FixedPointSolver(0.7)).adjoint(new PhantomAdjoint(5, 0.45))
                        .maxSteps(30).tol(1e-4).build(),
                DeqConfig.builder().solver(FixedPointSolver.plain()).adjoint(new UnrolledAdjoint())
                        .precision(new PrecisionPolicy(DataType.FLOAT, DataType.HALF)).build(),
                DeqConfig.builder().solver(new FixedPointSolver(0.9))
                        .adjoint(new ImplicitAdjoint(new FixedPointSolver(0.35),
                                new StopCriterion(25, 1e-8, StopMode.RELATIVE)))
                        .maxSteps(50).tol(1e-3).stopMode(StopMode.ABSOLUTE).build(),
                DeqConfig.builder().solver(new ReversibleSolver(0.8))
                        .adjoint(new ImplicitAdjoint(FixedPointSolver.plain(), StopCriterion.of(10, 0.1)))
                        .precision(PrecisionPolicy.DOUBLE).build(),
                DeqConfig.builder().solver(new AndersonSolver(4, 3e-5, 0.9))
                        .adjoint(new ImplicitAdjoint(new BroydenSolver(12), StopCriterion.of(30, 1e-7)))
                        .maxSteps(40).build(),
                DeqConfig.builder().solver(new BroydenSolver(5)).adjoint(new PhantomAdjoint(3, 0.8)).build(),
                DeqConfig.builder().evalFactor(2.5).build(),
                DeqConfig.builder().solver(new FixedPointSolver(0.7)).adjoint(new PhantomAdjoint(5, 0.45))
                        .maxSteps(30).evalMaxSteps(45).build(),
                DeqConfig.builder().solver(AndersonSolver.defaults())
                        .adjoint(new ImplicitAdjoint(AndersonSolver.defaults(), StopCriterion.of(30, 1e-7)))
                        .build());
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void toMapRoundTripsThroughFromMap(DeqConfig config) {
        Map<String, Object> m = DeqConfigs.toMap(config);
        assertEquals(config, DeqConfigs.fromMap(m));
        for (String k : m.keySet()) {
            assertTrue(ConfigKey.of(k).isPresent(), "toMap wrote unknown key " + k);
        }
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void toMapRoundTripsAsStrings(DeqConfig config) {
        // As a properties file would hold it: every value a string.
        Map<String, String> strings = new HashMap<>();
        DeqConfigs.toMap(config).forEach((k, v) -> strings.put(k, String.valueOf(v)));
        assertEquals(config, DeqConfigs.fromMap(strings));
    }

    @Test
    void toMapWritesTheCanonicalKeysOfTheAdjoint() {
        Map<String, Object> phantom = DeqConfigs.toMap(DeqConfig.builder().solver(new FixedPointSolver(0.5))
                .adjoint(new PhantomAdjoint(4, 0.8)).build());
        assertEquals("fixed_point", phantom.get("f_solver"));
        assertEquals(0.5, phantom.get("f_tau"));
        assertEquals(4, phantom.get("grad"));
        assertEquals(0.8, phantom.get("tau"));
        assertEquals("phantom", phantom.get("adjoint"));
        assertTrue(!phantom.containsKey("beta") && !phantom.containsKey("b_solver")
                && !phantom.containsKey("drift_action"), "keys without effect written: " + phantom.keySet());
        Map<String, Object> rev = DeqConfigs.toMap(DeqConfig.builder().build());
        assertEquals("reversible", rev.get("f_solver"));
        assertEquals(0.8, rev.get("beta"));
        assertEquals("rel", rev.get("f_stop_mode"));
        assertEquals("warn", rev.get("drift_action"));
        assertEquals("float64", rev.get("state_dtype"));
        assertEquals("float32", rev.get("compute_dtype"));
    }

    @Test
    void keysWithoutEffectAreRejectedNamingWhereTheyApply() {
        assertRejected(Map.of("f_solver", "fixed_point", "beta", 0.8), "config key 'beta' has no effect",
                "f_solver 'reversible'", "f_solver 'fixed_point'");
        assertRejected(Map.of("tau", 0.5), "config key 'tau' has no effect", "adjoint 'phantom'",
                "adjoint 'reversible'");
        assertRejected(Map.of("adjoint", "phantom", "f_solver", "fixed_point", "b_tol", 1e-6),
                "'b_tol' has no effect", "adjoint 'implicit'");
        assertRejected(Map.of("ift", true, "drift_action", "fail"), "'drift_action' has no effect");
        assertRejected(Map.of("ift", true, "b_solver", "fixed_point", "f_tau", 0.5), "'f_tau' has no effect");
    }

    /** torchdeq keeps dropout in the model; here it is the layer's setting, and the error says where. */
    @Test
    void dropoutIsRefusedWithWhereItIsSet() {
        assertRejected(Map.of("dropout", 0.2), "'dropout'", "setting of the DEQ layer", "dropout(rate)", "--dropout");
    }

    @Test
    void strictValueParsing() {
        assertEquals(40, DeqConfigs.fromMap(Map.of("f_max_iter", 40.0)).stop().maxSteps());
        assertEquals(7, DeqConfigs.fromMap(Map.of("f_max_iter", " 7 ")).stop().maxSteps());
        assertEquals(2e-4, DeqConfigs.fromMap(Map.of("f_tol", "2e-4")).stop().tol());
        assertRejected(Map.of("f_max_iter", 4.5), "config key 'f_max_iter'", "expected an integer", "4.5 (Double)");
        assertRejected(Map.of("f_max_iter", "4.0"), "config key 'f_max_iter'", "expected an integer");
        assertRejected(Map.of("f_max_iter", 3_000_000_000L), "config key 'f_max_iter'", "out of range");
        assertRejected(Map.of("f_tol", "1e-3f"), "config key 'f_tol'", "expected a number", "'1e-3f'");
        assertRejected(Map.of("f_tol", true), "config key 'f_tol'", "expected a number");
        assertRejected(Map.of("ift", 1), "config key 'ift'", "true or false");
        assertRejected(Map.of("f_solver", 3), "config key 'f_solver'", "expected a name");
        assertRejected(Map.of("f_stop_mode", "relative-ish"), "config key 'f_stop_mode'", "'abs' or 'rel'");
        assertRejected(Map.of("beta", "NaN"), "config key 'beta'", "(0, 2)");
        assertRejected(Map.of("f_solver", "newton"), "config key 'f_solver'", "unknown solver 'newton'",
                "fixed_point");
        Map<String, Object> nullValue = new HashMap<>();
        nullValue.put("f_tol", null);
        assertRejected(nullValue, "config key 'f_tol'", "has no value");
    }

    @Test
    void torchdeqOnlyFeaturesAreRejectedClearly() {
        assertRejected(Map.of("core", "indexing"), "config key 'core'", "'indexing' core", "'sliced'");
        assertRejected(Map.of("core", "stacked"), "config key 'core'", "unknown core 'stacked'");
        assertRejected(Map.of("n_states", 2), "config key 'n_states'", "one state", "'grad'");
        assertRejected(Map.of("f_solver", "fixed_point", "grad", List.of(1, 2)), "config key 'grad'",
                "single integer");
    }

    @Test
    void iftAndAdjointMustAgree() {
        assertRejected(Map.of("ift", true, "adjoint", "phantom"), "'ift' and 'adjoint' disagree");
        assertRejected(Map.of("ift", false, "adjoint", "implicit"), "'ift' and 'adjoint' disagree");
        assertTrue(DeqConfigs.fromMap(Map.of("ift", "TRUE", "adjoint", "implicit")).adjoint()
                instanceof ImplicitAdjoint);
    }

    @Test
    void quasiNewtonKeysBuildAndersonAndBroyden() {
        DeqConfig c = DeqConfigs.fromMap(Map.of("f_solver", "anderson", "anderson_m", "4", "anderson_lambda", 1e-3,
                "anderson_beta", 0.5, "adjoint", "implicit", "b_solver", "broyden", "broyden_memory", 7));
        assertEquals(new AndersonSolver(4, 1e-3, 0.5), c.solver());
        assertEquals(new BroydenSolver(7), ((ImplicitAdjoint) c.adjoint()).backwardSolver());
        assertEquals(AndersonSolver.defaults(), DeqConfigs.fromMap(Map.of("f_solver", "anderson")).solver());
        assertEquals(BroydenSolver.defaults(), DeqConfigs.fromMap(Map.of("f_solver", "broyden")).solver());
        assertRejected(Map.of("f_solver", "anderson", "anderson_m", 0), "config key 'anderson_m'", "m must be");
        assertRejected(Map.of("f_solver", "anderson", "anderson_beta", 2), "config key 'anderson_beta'", "beta");
        assertRejected(Map.of("f_solver", "broyden", "broyden_memory", -1), "config key 'broyden_memory'",
                "memory");
        assertRejected(Map.of("f_solver", "broyden", "anderson_m", 3), "config key 'anderson_m' has no effect");
        assertRejected(Map.of("f_solver", "anderson", "adjoint", "unrolled"), "unrolled adjoint cannot",
                "'anderson'");
    }

    @Test
    void forwardAndBackwardAndersonWithDifferentParametersHaveNoMapForm() {
        DeqConfig c = DeqConfig.builder().solver(new AndersonSolver(5, 1e-4, 1.0))
                .adjoint(new ImplicitAdjoint(new AndersonSolver(3, 1e-4, 1.0), StopCriterion.of(20, 1e-6))).build();
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> DeqConfigs.toMap(c));
        assertTrue(e.getMessage().contains("'anderson_m'"), e.getMessage());
    }

    @Test
    void jacobianRegularisationKeys() {
        DeqConfig c = DeqConfigs.fromMap(Map.of("jac_loss_weight", "2.0", "jac_loss_freq", 0.25, "jac_loss_probes", 3));
        assertEquals(new JacobianRegularization(2.0, 0.25, 3), c.jacobian());
        assertEquals(c, DeqConfigs.fromMap(DeqConfigs.toMap(c)));
        assertEquals(JacobianRegularization.of(0.5), DeqConfigs.fromMap(Map.of("jac_loss_weight", 0.5)).jacobian(),
                "a weight alone applies on every step with one probe");
        assertEquals(JacobianRegularization.OFF, DeqConfigs.fromMap(Map.of("jac_loss_weight", 0)).jacobian());
        assertTrue(DeqConfigs.toMap(DeqConfig.builder().build()).keySet().stream().noneMatch(k -> k.startsWith("jac")),
                "configurations without it keep their map (and saved JSON) unchanged");
        assertRejected(Map.of("jac_loss_weigth", 1.0), "'jac_loss_weigth'", "did you mean 'jac_loss_weight'");
        assertRejected(Map.of("jac_loss_freq", 0.5), "config key 'jac_loss_freq'", "jac_loss_weight > 0");
        assertRejected(Map.of("jac_loss_weight", -1), "config key 'jac_loss_weight'", ">= 0");
        assertRejected(Map.of("jac_loss_weight", 1, "jac_loss_freq", 1.5), "config key 'jac_loss_freq'", "(0, 1]");
        assertRejected(Map.of("jac_loss_weight", 1, "jac_loss_probes", 0), "config key 'jac_loss_probes'",
                "at least one probe");
    }

    @Test
    void levenshteinDistance() {
        assertEquals(3, NearestName.distance("kitten", "sitting"));
        assertEquals(0, NearestName.distance("f_tol", "f_tol"));
        assertEquals(5, NearestName.distance("", "f_tol"));
        assertEquals(1, NearestName.distance("f_max_iters", "f_max_iter"));
    }

    @Test
    void nearestNameIsATypoAwayOrNothing() {
        List<String> known = List.of("epochs", "solver-steps", "lr", "lr-schedule");
        assertEquals(Optional.of("epochs"), NearestName.among("Epoch", known));
        assertEquals(Optional.of("solver-steps"), NearestName.among("solver-step", known));
        assertEquals(Optional.of("lr-schedule"), NearestName.among("lr-shedule", known));
        assertEquals(Optional.empty(), NearestName.among("temperature", known));
        assertEquals(Optional.empty(), NearestName.among("x", List.of()));
    }
}
