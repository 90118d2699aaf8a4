package org.deq4j.core.config;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The keys {@link DeqConfigs#fromMap} accepts: torchdeq's names where torchdeq has the concept,
 * plus the keys deq4j's reversible solver, adjoints and precision policy need; and torchdeq's
 * weight-normalisation keys ({@code norm_type}, {@code sn_n_power_iters}, ...), which
 * {@link NormConfig#fromMap} reads for a DEQ layer's cell (they are listed here so that both readers
 * suggest the nearest key of either kind for a typo). Each key knows the
 * part of a configuration it applies to, so a key that would have no effect is reported instead of
 * being ignored.
 */
public enum ConfigKey {
    CORE("core", "any configuration"),
    N_STATES("n_states", "any configuration"),
    F_SOLVER("f_solver", "any configuration"),
    F_MAX_ITER("f_max_iter", "any configuration"),
    F_TOL("f_tol", "any configuration"),
    F_STOP_MODE("f_stop_mode", "any configuration"),
    EVAL_FACTOR("eval_factor", "any configuration"),
    EVAL_F_MAX_ITER("eval_f_max_iter", "any configuration"),
    F_TAU("f_tau", "f_solver 'fixed_point'"),
    BETA("beta", "f_solver 'reversible'"),
    ANDERSON_M("anderson_m", "f_solver or b_solver 'anderson'"),
    ANDERSON_LAMBDA("anderson_lambda", "f_solver or b_solver 'anderson'"),
    ANDERSON_BETA("anderson_beta", "f_solver or b_solver 'anderson'"),
    BROYDEN_MEMORY("broyden_memory", "f_solver or b_solver 'broyden'"),
    ADJOINT("adjoint", "any configuration"),
    IFT("ift", "any configuration"),
    B_SOLVER("b_solver", "adjoint 'implicit'"),
    B_MAX_ITER("b_max_iter", "adjoint 'implicit'"),
    B_TOL("b_tol", "adjoint 'implicit'"),
    B_STOP_MODE("b_stop_mode", "adjoint 'implicit'"),
    B_TAU("b_tau", "adjoint 'implicit' with b_solver 'fixed_point'"),
    GRAD("grad", "adjoint 'phantom'"),
    TAU("tau", "adjoint 'phantom'"),
    DRIFT_THRESHOLD("drift_threshold", "adjoint 'reversible'"),
    DRIFT_ACTION("drift_action", "adjoint 'reversible'"),
    STATE_DTYPE("state_dtype", "any configuration"),
    COMPUTE_DTYPE("compute_dtype", "any configuration"),
    JAC_LOSS_WEIGHT("jac_loss_weight", "any configuration"),
    JAC_LOSS_FREQ("jac_loss_freq", "jac_loss_weight > 0"),
    JAC_LOSS_PROBES("jac_loss_probes", "jac_loss_weight > 0"),
    NORM_TYPE("norm_type", NormConfig.APPLIES_TO),
    NORM_NO_SCALE("norm_no_scale", NormConfig.APPLIES_TO + " with norm_type other than 'none'"),
    NORM_TARGET_NORM("norm_target_norm", NormConfig.APPLIES_TO
            + " with norm_type 'spectral_norm', or 'weight_norm' and norm_no_scale true"),
    NORM_CLIP("norm_clip", NormConfig.APPLIES_TO + " with norm_type other than 'none'"),
    NORM_CLIP_VALUE("norm_clip_value", NormConfig.APPLIES_TO + " with norm_clip true"),
    SN_N_POWER_ITERS("sn_n_power_iters", NormConfig.APPLIES_TO + " with norm_type 'spectral_norm'");

    private static final Map<String, ConfigKey> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(ConfigKey::key, Function.identity()));

    private final String key;
    private final String appliesTo;

    ConfigKey(String key, String appliesTo) {
        this.key = key;
        this.appliesTo = appliesTo;
    }

    /** The key as written in a configuration map, e.g. {@code "f_max_iter"}. */
    public String key() {
        return key;
    }

    /** The part of a configuration in which this key has an effect, e.g. "adjoint 'phantom'". */
    public String appliesTo() {
        return appliesTo;
    }

    /** The key spelled exactly {@code name} (keys are case-sensitive). */
    public static Optional<ConfigKey> of(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }
}
