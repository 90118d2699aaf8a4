package org.deq4j.core.config;

import static org.deq4j.core.config.ConfigKey.NORM_CLIP;
import static org.deq4j.core.config.ConfigKey.NORM_CLIP_VALUE;
import static org.deq4j.core.config.ConfigKey.NORM_NO_SCALE;
import static org.deq4j.core.config.ConfigKey.NORM_TARGET_NORM;
import static org.deq4j.core.config.ConfigKey.NORM_TYPE;
import static org.deq4j.core.config.ConfigKey.SN_N_POWER_ITERS;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import org.deq4j.core.InvalidConfigException;

/**
 * How a DEQ layer re-parameterises its cell's weights, with torchdeq's {@code apply_norm} semantics
 * and configuration keys. Per weight W (a matrix or a convolution kernel, seen as a matrix with one
 * row per output unit):
 * <ul>
 *   <li>{@link Type#WEIGHT_NORM}: W = s·V/‖V‖ per output unit, V trainable;</li>
 *   <li>{@link Type#SPECTRAL_NORM}: W = s·W'/σ(W'), σ the largest singular value estimated by power
 *       iteration, W' trainable;</li>
 * </ul>
 * with the scale s a trainable per-output gain g ({@link #learnScale}, torchdeq's default) or the
 * constant {@link #targetNorm}, and with {@link #clip} the factor s/‖V‖ (or s/σ) capped at
 * {@link #clipValue}. {@link #powerIterations} is the number of power iterations per training step.
 *
 * <p>Values that have no effect for the type (say {@code powerIterations} with weight norm) are reset
 * to their defaults, so equal configurations behave equally and round-trip through {@link #toMap}.
 *
 * @param type            which normalisation, {@link Type#NONE} for none
 * @param learnScale      whether the scale is a trainable gain g (torchdeq's {@code norm_no_scale} false)
 * @param targetNorm      the scale without a learnt gain, and the spectral gain's initial value; positive
 * @param clip            whether the factor is capped at {@code clipValue}
 * @param clipValue       the cap; positive
 * @param powerIterations power iterations per training step for spectral norm; at least 1
 */
public record NormConfig(Type type, boolean learnScale, double targetNorm, boolean clip, double clipValue,
                         int powerIterations) {

    /** What {@link ConfigKey}s of normalisation apply to, for error messages. */
    static final String APPLIES_TO = "a DEQ layer's weight normalisation (NormConfig.fromMap, not DeqConfig)";

    private static final Set<ConfigKey> KEYS = EnumSet.of(NORM_TYPE, NORM_NO_SCALE, NORM_TARGET_NORM, NORM_CLIP,
            NORM_CLIP_VALUE, SN_N_POWER_ITERS);

    /** No normalisation: the cell's parameters are used as they are. */
    public static final NormConfig NONE = new NormConfig(Type.NONE, true, 1.0, false, 1.0, 1);

    /** The normalisations, by torchdeq's {@code norm_type} names. */
    public enum Type {
        NONE("none"),
        WEIGHT_NORM("weight_norm"),
        SPECTRAL_NORM("spectral_norm");

        private final String id;

        Type(String id) {
            this.id = id;
        }

        /** torchdeq's name, e.g. {@code "spectral_norm"}. */
        public String id() {
            return id;
        }

        /**
         * The type named {@code s} (any case).
         *
         * @throws InvalidConfigException naming the valid names
         */
        public static Type parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            return Arrays.stream(values()).filter(v -> v.id.equals(t)).findFirst()
                    .orElseThrow(() -> new InvalidConfigException("unknown norm_type '" + s + "'; valid: "
                            + Arrays.stream(values()).map(Type::id).collect(Collectors.joining(", "))));
        }
    }

    /** @throws InvalidConfigException if a value that applies is out of range */
    public NormConfig {
        Objects.requireNonNull(type, "type");
        if (type == Type.NONE) {
            learnScale = true;
            clip = false;
        }
        if (!usesTarget(type, learnScale)) {
            targetNorm = 1.0;
        }
        if (!clip) {
            clipValue = 1.0;
        }
        if (type != Type.SPECTRAL_NORM) {
            powerIterations = 1;
        }
        if (!(targetNorm > 0) || Double.isInfinite(targetNorm)) {
            throw new InvalidConfigException("norm_target_norm must be positive and finite, got " + targetNorm);
        }
        if (!(clipValue > 0) || Double.isInfinite(clipValue)) {
            throw new InvalidConfigException("norm_clip_value must be positive and finite, got " + clipValue);
        }
        if (powerIterations < 1) {
            throw new InvalidConfigException("sn_n_power_iters must be at least 1, got " + powerIterations);
        }
    }

    /** Weight norm with torchdeq's defaults: learnt gain, no clipping. */
    public static NormConfig weightNorm() {
        return new NormConfig(Type.WEIGHT_NORM, true, 1.0, false, 1.0, 1);
    }

    /** Spectral norm with torchdeq's defaults: learnt gain starting at 1, no clipping, one power iteration per step. */
    public static NormConfig spectralNorm() {
        return new NormConfig(Type.SPECTRAL_NORM, true, 1.0, false, 1.0, 1);
    }

    /** This configuration with {@code n} power iterations per training step. */
    public NormConfig withPowerIterations(int n) {
        return new NormConfig(type, learnScale, targetNorm, clip, clipValue, n);
    }

    /** This configuration with a learnt gain ({@code true}) or the constant {@link #targetNorm}. */
    public NormConfig withLearnScale(boolean learn) {
        return new NormConfig(type, learn, targetNorm, clip, clipValue, powerIterations);
    }

    /** This configuration with the given target norm. */
    public NormConfig withTargetNorm(double target) {
        return new NormConfig(type, learnScale, target, clip, clipValue, powerIterations);
    }

    /** This configuration with the factor capped at {@code value}. */
    public NormConfig withClip(double value) {
        return new NormConfig(type, learnScale, targetNorm, true, value, powerIterations);
    }

    /** Whether this is {@link Type#NONE}. */
    public boolean isNone() {
        return type == Type.NONE;
    }

    private static boolean usesTarget(Type type, boolean learnScale) {
        return type == Type.SPECTRAL_NORM || (type == Type.WEIGHT_NORM && !learnScale);
    }

    /**
     * Reads torchdeq's keys: {@code norm_type} (none, weight_norm, spectral_norm; default none),
     * {@code norm_no_scale} (false), {@code norm_target_norm} (1.0), {@code norm_clip} (false),
     * {@code norm_clip_value} (1.0), {@code sn_n_power_iters} (1).
     *
     * @throws InvalidConfigException naming the key: an unknown key (with the nearest valid one), a DEQ
     *         key or one without effect for the type, or a value of the wrong kind or out of range
     */
    public static NormConfig fromMap(Map<String, ?> map) {
        ConfigValues v = new ConfigValues(Objects.requireNonNull(map, "map"));
        Type type = v.choice(NORM_TYPE, Type::parse).orElse(Type.NONE);
        boolean learnScale = true;
        double target = 1.0;
        boolean clip = false;
        double clipValue = 1.0;
        int iterations = 1;
        if (type != Type.NONE) {
            learnScale = !v.bool(NORM_NO_SCALE).orElse(false);
            if (usesTarget(type, learnScale)) {
                target = v.real(NORM_TARGET_NORM, 1.0);
            }
            clip = v.bool(NORM_CLIP).orElse(false);
            if (clip) {
                clipValue = v.real(NORM_CLIP_VALUE, 1.0);
            }
            if (type == Type.SPECTRAL_NORM) {
                iterations = v.integer(SN_N_POWER_ITERS, 1);
            }
        }
        double t = target;
        boolean c = clip;
        double cv = clipValue;
        boolean ls = learnScale;
        int n = iterations;
        NormConfig config = v.build(() -> new NormConfig(type, ls, t, c, cv, n),
                NORM_TARGET_NORM, NORM_CLIP_VALUE, SN_N_POWER_ITERS);
        List<ConfigKey> unused = v.unread();
        if (!unused.isEmpty()) {
            throw new InvalidConfigException(unused.stream()
                    .map(k -> "config key '" + k.key() + "' has no effect here: it applies to " + k.appliesTo())
                    .collect(Collectors.joining("; ")) + "; this normalisation has norm_type '" + type.id()
                    + "'. Remove the key or change the configuration");
        }
        return config;
    }

    /**
     * The canonical map: empty for {@link Type#NONE} (a missing normalisation is none), otherwise
     * {@code norm_type} and every key that applies. {@code fromMap(toMap())} equals this.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (type == Type.NONE) {
            return m;
        }
        m.put(NORM_TYPE.key(), type.id());
        m.put(NORM_NO_SCALE.key(), !learnScale);
        if (usesTarget(type, learnScale)) {
            m.put(NORM_TARGET_NORM.key(), targetNorm);
        }
        m.put(NORM_CLIP.key(), clip);
        if (clip) {
            m.put(NORM_CLIP_VALUE.key(), clipValue);
        }
        if (type == Type.SPECTRAL_NORM) {
            m.put(SN_N_POWER_ITERS.key(), powerIterations);
        }
        return m;
    }

    /** Whether {@code key} is one of the keys this reader takes (none of which {@link DeqConfigs#fromMap} takes). */
    public static boolean isNormKey(String key) {
        return ConfigKey.of(key).map(KEYS::contains).orElse(false);
    }
}
