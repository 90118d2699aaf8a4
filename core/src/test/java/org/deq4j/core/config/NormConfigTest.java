package org.deq4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;

/** {@link NormConfig}: torchdeq's normalisation keys, strictly read, and their canonical map. */
class NormConfigTest {

    private static void assertRejected(Map<String, ?> map, String... parts) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> NormConfig.fromMap(map));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
    }

    @Test
    void readsTorchdeqKeysWithTorchdeqDefaults() {
        assertEquals(NormConfig.NONE, NormConfig.fromMap(Map.of()));
        assertEquals(NormConfig.NONE, NormConfig.fromMap(Map.of("norm_type", "none")));
        assertEquals(NormConfig.weightNorm(), NormConfig.fromMap(Map.of("norm_type", "weight_norm")));
        NormConfig sn = NormConfig.fromMap(Map.of("norm_type", "Spectral_Norm", "sn_n_power_iters", "3",
                "norm_clip", true, "norm_clip_value", 2.5, "norm_target_norm", 0.9));
        assertEquals(new NormConfig(NormConfig.Type.SPECTRAL_NORM, true, 0.9, true, 2.5, 3), sn);
        NormConfig fixed = NormConfig.fromMap(Map.of("norm_type", "weight_norm", "norm_no_scale", "true",
                "norm_target_norm", 0.5));
        assertFalse(fixed.learnScale());
        assertEquals(0.5, fixed.targetNorm());
    }

    @Test
    void canonicalMapRoundTrips() {
        for (NormConfig c : List.of(NormConfig.NONE, NormConfig.weightNorm(), NormConfig.weightNorm().withClip(3),
                NormConfig.weightNorm().withLearnScale(false).withTargetNorm(2), NormConfig.spectralNorm(),
                NormConfig.spectralNorm().withPowerIterations(4).withClip(1.5).withLearnScale(false))) {
            assertEquals(c, NormConfig.fromMap(c.toMap()), c.toString());
        }
        assertTrue(NormConfig.NONE.toMap().isEmpty(), "none writes nothing, as configurations saved before it");
        assertEquals(Map.of("norm_type", "spectral_norm", "norm_no_scale", false, "norm_target_norm", 1.0,
                "norm_clip", false, "sn_n_power_iters", 1), NormConfig.spectralNorm().toMap());
    }

    @Test
    void valuesWithoutEffectAreResetSoEqualConfigurationsBehaveEqually() {
        assertEquals(NormConfig.weightNorm(), NormConfig.weightNorm().withPowerIterations(7).withTargetNorm(3));
        assertEquals(NormConfig.NONE, new NormConfig(NormConfig.Type.NONE, false, 2, true, 3, 4));
    }

    @Test
    void unknownKeysGetTheNearestName() {
        assertRejected(Map.of("norm_typ", "weight_norm"), "unknown configuration key 'norm_typ'",
                "did you mean 'norm_type'?");
        assertRejected(Map.of("norm_type", "spectral_norm", "sn_n_power_iter", 2), "did you mean 'sn_n_power_iters'?");
        assertRejected(Map.of("norm_type", "batch_norm"), "norm_type", "unknown norm_type 'batch_norm'",
                "none, weight_norm, spectral_norm");
    }

    @Test
    void keysWithoutEffectAndBadValuesAreRejected() {
        assertRejected(Map.of("norm_type", "weight_norm", "sn_n_power_iters", 2), "'sn_n_power_iters' has no effect",
                "norm_type 'spectral_norm'");
        assertRejected(Map.of("norm_clip_value", 2.0), "'norm_clip_value' has no effect", "norm_type 'none'");
        assertRejected(Map.of("norm_type", "weight_norm", "norm_target_norm", 2.0), "'norm_target_norm' has no effect");
        assertRejected(Map.of("norm_type", "spectral_norm", "f_max_iter", 3), "'f_max_iter' has no effect");
        assertRejected(Map.of("norm_type", "spectral_norm", "sn_n_power_iters", 0), "sn_n_power_iters",
                "at least 1");
        assertRejected(Map.of("norm_type", "spectral_norm", "norm_clip", "yes"), "norm_clip", "true or false");
        assertRejected(Map.of("norm_type", "spectral_norm", "norm_target_norm", -1), "norm_target_norm", "positive");
    }

    @Test
    void deqConfigsPointNormKeysToTheLayer() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> DeqConfigs.fromMap(Map.of("norm_type", "spectral_norm")));
        assertTrue(e.getMessage().contains("'norm_type' has no effect") && e.getMessage().contains("NormConfig"),
                e.getMessage());
        assertTrue(NormConfig.isNormKey("sn_n_power_iters"));
        assertFalse(NormConfig.isNormKey("f_max_iter"));
    }
}
