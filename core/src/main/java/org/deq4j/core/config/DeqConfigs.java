package org.deq4j.core.config;

import static org.deq4j.core.config.ConfigKey.ADJOINT;
import static org.deq4j.core.config.ConfigKey.ANDERSON_BETA;
import static org.deq4j.core.config.ConfigKey.ANDERSON_LAMBDA;
import static org.deq4j.core.config.ConfigKey.ANDERSON_M;
import static org.deq4j.core.config.ConfigKey.BETA;
import static org.deq4j.core.config.ConfigKey.B_MAX_ITER;
import static org.deq4j.core.config.ConfigKey.B_SOLVER;
import static org.deq4j.core.config.ConfigKey.B_STOP_MODE;
import static org.deq4j.core.config.ConfigKey.B_TAU;
import static org.deq4j.core.config.ConfigKey.B_TOL;
import static org.deq4j.core.config.ConfigKey.BROYDEN_MEMORY;
import static org.deq4j.core.config.ConfigKey.COMPUTE_DTYPE;
import static org.deq4j.core.config.ConfigKey.CORE;
import static org.deq4j.core.config.ConfigKey.DRIFT_ACTION;
import static org.deq4j.core.config.ConfigKey.DRIFT_THRESHOLD;
import static org.deq4j.core.config.ConfigKey.EVAL_FACTOR;
import static org.deq4j.core.config.ConfigKey.EVAL_F_MAX_ITER;
import static org.deq4j.core.config.ConfigKey.F_MAX_ITER;
import static org.deq4j.core.config.ConfigKey.F_SOLVER;
import static org.deq4j.core.config.ConfigKey.F_STOP_MODE;
import static org.deq4j.core.config.ConfigKey.F_TAU;
import static org.deq4j.core.config.ConfigKey.F_TOL;
import static org.deq4j.core.config.ConfigKey.GRAD;
import static org.deq4j.core.config.ConfigKey.IFT;
import static org.deq4j.core.config.ConfigKey.JAC_LOSS_FREQ;
import static org.deq4j.core.config.ConfigKey.JAC_LOSS_PROBES;
import static org.deq4j.core.config.ConfigKey.JAC_LOSS_WEIGHT;
import static org.deq4j.core.config.ConfigKey.N_STATES;
import static org.deq4j.core.config.ConfigKey.STATE_DTYPE;
import static org.deq4j.core.config.ConfigKey.TAU;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.core.solver.AndersonSolver;
import org.deq4j.core.solver.BroydenSolver;
import org.deq4j.core.solver.EvalBudget;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link DeqConfig} from and to a flat map with torchdeq's key names ({@code f_solver},
 * {@code f_max_iter}, {@code f_tol}, {@code ift}, {@code grad}, {@code tau}, ...), as read from
 * JSON, YAML, properties files or command lines. The keys, their types and defaults are listed in
 * {@link ConfigKey} and in {@code docs/configuration.md}.
 *
 * <p>Reading is strict where torchdeq is lenient: an unknown key is an error that suggests the
 * nearest valid key ({@code f_max_iters} → "did you mean 'f_max_iter'?"); a key that would have no
 * effect in the configuration built (say {@code beta} with the fixed-point solver) is an error; values
 * are parsed strictly and every error names its key. Missing keys take the {@link DeqConfig#builder()}
 * defaults; when the adjoint is not given it follows torchdeq: {@code ift: true} selects the implicit
 * adjoint, otherwise the reversible solver gets the reversible adjoint and any other solver torchdeq's
 * default phantom gradient ({@code grad} 1, {@code tau} 1.0).
 *
 * <p>The evaluation budget follows torchdeq: {@code eval_factor} (default 1) scales {@code f_max_iter}
 * for inference solves, {@code eval_f_max_iter} (default 0, meaning "not set") sets it outright; giving
 * both (with a factor other than 1) is an error rather than torchdeq's silent precedence.
 *
 * <p>{@link #toMap} writes the canonical keys of a configuration, exactly those that apply to it,
 * so that {@code fromMap(toMap(c)).equals(c)}; the evaluation keys only when they differ from the
 * defaults, so the maps of configurations without them (and files saved before they existed) stay as
 * they were.
 */
public final class DeqConfigs {
    /** The builder's forward default: RevDEQ's vision setting. */
    static final double DEFAULT_BETA = 0.8;
    /** torchdeq's defaults for the implicit adjoint's backward solve and the phantom gradient. */
    static final int DEFAULT_B_MAX_ITER = 40;
    static final double DEFAULT_B_TOL = 1e-6;
    static final StopMode DEFAULT_B_STOP_MODE = StopMode.ABSOLUTE;
    static final int DEFAULT_GRAD = 1;
    static final double DEFAULT_TAU = 1.0;

    private static final DeqConfig DEFAULTS = DeqConfig.builder().build();

    private DeqConfigs() {
    }

    /** The solvers a map can name, with the aliases torchdeq uses. */
    private enum SolverKind {
        FIXED_POINT("fixed_point", "fixed_point_iter", "simple_fixed_point_iter"),
        ANDERSON("anderson"),
        BROYDEN("broyden"),
        REVERSIBLE("reversible");

        private final String name;
        private final List<String> aliases;

        SolverKind(String name, String... aliases) {
            this.name = name;
            this.aliases = List.of(aliases);
        }

        static SolverKind parse(String s) {
            String t = s.toLowerCase(Locale.ROOT);
            return Arrays.stream(values()).filter(k -> k.name.equals(t) || k.aliases.contains(t)).findFirst()
                    .orElseThrow(() -> new InvalidConfigException("unknown solver '" + s + "'; use one of "
                            + Arrays.stream(values()).map(k -> k.name).collect(Collectors.joining(", "))
                            + " (torchdeq's 'fixed_point_iter' is accepted for 'fixed_point')"));
        }
    }

    /** The adjoints a map can name. */
    private enum AdjointKind {
        UNROLLED, IMPLICIT, PHANTOM, REVERSIBLE;

        static AdjointKind parse(String s) {
            return Arrays.stream(values()).filter(k -> k.name().equalsIgnoreCase(s)).findFirst()
                    .orElseThrow(() -> new InvalidConfigException("unknown adjoint '" + s
                            + "'; use one of unrolled, implicit, phantom, reversible"));
        }
    }

    /**
     * Builds and validates a configuration from torchdeq-style keys.
     *
     * @throws InvalidConfigException naming the key: an unknown key (with the nearest valid one), a key
     *         without effect in the resulting configuration, a value of the wrong type or out of range,
     *         or a solver and adjoint that do not go together
     */
    public static DeqConfig fromMap(Map<String, ?> map) {
        Objects.requireNonNull(map, "map");
        ConfigValues v = new ConfigValues(map);
        v.choice(CORE, DeqConfigs::requireSlicedCore);
        int states = v.integer(N_STATES, 1);
        if (states != 1) {
            throw ConfigValues.error(N_STATES, "deq4j supervises one state (the fixed point), got " + states
                    + "; torchdeq's n_states > 1 (fixed-point correction) is not supported. The number of"
                    + " phantom gradient steps is 'grad'");
        }
        SolverKind forwardKind = v.choice(F_SOLVER, SolverKind::parse).orElse(SolverKind.REVERSIBLE);
        Solver<?> forward = solver(v, forwardKind, F_TAU);
        StopCriterion stop = stop(v, F_MAX_ITER, F_TOL, F_STOP_MODE, DEFAULTS.stop());
        EvalBudget eval = evalBudget(v);
        AdjointKind adjointKind = adjointKind(v, forwardKind);
        Adjoint adjoint = adjoint(v, adjointKind);
        DataType stateType = v.choice(STATE_DTYPE, PrecisionPolicy::parseType)
                .orElse(DEFAULTS.precision().stateType());
        DataType computeType = v.choice(COMPUTE_DTYPE, PrecisionPolicy::parseType)
                .orElse(DEFAULTS.precision().computeType());
        PrecisionPolicy precision = new PrecisionPolicy(stateType, computeType);
        JacobianRegularization jacobian = jacobian(v);
        DeqConfig config = v.build(() -> new DeqConfig(forward, adjoint, stop, precision, jacobian, eval), F_SOLVER,
                ADJOINT, EVAL_FACTOR, EVAL_F_MAX_ITER);
        List<ConfigKey> unused = v.unread();
        if (!unused.isEmpty()) {
            throw new InvalidConfigException(unused.stream()
                    .map(k -> "config key '" + k.key() + "' has no effect here: it applies to " + k.appliesTo())
                    .collect(Collectors.joining("; ")) + "; this configuration has f_solver '" + forwardKind.name
                    + "' and adjoint '" + adjoint.name() + "'. Remove the key or change the configuration");
        }
        return config;
    }

    /**
     * The canonical map of a configuration: every key that applies to it, with values as
     * {@link Integer}, {@link Double} or {@link String}, in a fixed order. {@code fromMap} of the
     * result equals {@code config}.
     *
     * @throws InvalidConfigException if the configuration holds a solver that has no map form
     */
    public static Map<String, Object> toMap(DeqConfig config) {
        Map<String, Object> m = new LinkedHashMap<>();
        putSolver(m, config.solver(), F_SOLVER, F_TAU);
        putStop(m, config.stop(), F_MAX_ITER, F_TOL, F_STOP_MODE);
        if (config.eval() instanceof EvalBudget.Fixed fixed) {
            m.put(EVAL_F_MAX_ITER.key(), fixed.maxSteps());
        } else if (!config.eval().isSame()) {
            m.put(EVAL_FACTOR.key(), ((EvalBudget.Scaled) config.eval()).factor());
        }
        Adjoint adjoint = config.adjoint();
        m.put(ADJOINT.key(), adjoint.name());
        if (adjoint instanceof ImplicitAdjoint implicit) {
            putSolver(m, implicit.backwardSolver(), B_SOLVER, B_TAU);
            putStop(m, implicit.backwardStop(), B_MAX_ITER, B_TOL, B_STOP_MODE);
        } else if (adjoint instanceof PhantomAdjoint phantom) {
            m.put(GRAD.key(), phantom.k());
            m.put(TAU.key(), phantom.tau());
        } else if (adjoint instanceof ReversibleAdjoint reversible) {
            m.put(DRIFT_THRESHOLD.key(), reversible.drift().threshold());
            m.put(DRIFT_ACTION.key(), reversible.drift().action().name().toLowerCase(Locale.ROOT));
        }
        m.put(STATE_DTYPE.key(), typeName(config.precision().stateType()));
        m.put(COMPUTE_DTYPE.key(), typeName(config.precision().computeType()));
        // Written only when on, so the maps of configurations without it (and the JSON of saved
        // networks) stay as they were; a missing jac_loss_weight reads back as off.
        JacobianRegularization jacobian = config.jacobian();
        if (jacobian.isOn()) {
            m.put(JAC_LOSS_WEIGHT.key(), jacobian.weight());
            m.put(JAC_LOSS_FREQ.key(), jacobian.frequency());
            m.put(JAC_LOSS_PROBES.key(), jacobian.probes());
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * torchdeq's {@code jac_loss_weight} and {@code jac_loss_freq}, plus {@code jac_loss_probes}
     * (torchdeq's {@code jac_reg(vecs=...)}). torchdeq's frequency defaults to 0, which makes a weight
     * do nothing; here a weight alone applies on every step (frequency 1) with one probe.
     */
    private static JacobianRegularization jacobian(ConfigValues v) {
        double weight = v.real(JAC_LOSS_WEIGHT, 0.0);
        if (weight == 0.0) {
            for (ConfigKey k : List.of(JAC_LOSS_FREQ, JAC_LOSS_PROBES)) {
                if (v.isPresent(k)) {
                    throw ConfigValues.error(k, "has no effect without Jacobian regularisation; set jac_loss_weight"
                            + " > 0 to switch it on, or remove the key");
                }
            }
            return JacobianRegularization.OFF;
        }
        double frequency = v.real(JAC_LOSS_FREQ, 1.0);
        int probes = v.integer(JAC_LOSS_PROBES, 1);
        // one value at a time, so an error names the key at fault
        v.build(() -> JacobianRegularization.of(weight), JAC_LOSS_WEIGHT);
        v.build(() -> new JacobianRegularization(weight, frequency, 1), JAC_LOSS_FREQ);
        return v.build(() -> new JacobianRegularization(weight, frequency, probes), JAC_LOSS_PROBES);
    }

    private static String requireSlicedCore(String core) {
        return switch (core.toLowerCase(Locale.ROOT)) {
            case "sliced" -> core;
            case "indexing" -> throw new InvalidConfigException("torchdeq's 'indexing' core (gradients at indexed"
                    + " solver states) is not supported; deq4j differentiates the fixed point like the 'sliced'"
                    + " core. Remove the key or set it to 'sliced', and choose the gradient with 'adjoint'");
            default -> throw new InvalidConfigException("unknown core '" + core + "'; torchdeq's cores are 'sliced'"
                    + " and 'indexing', and deq4j follows 'sliced'");
        };
    }

    private static Solver<?> solver(ConfigValues v, SolverKind kind, ConfigKey tauKey) {
        return switch (kind) {
            case FIXED_POINT -> {
                double tau = v.real(tauKey, 1.0);
                yield v.build(() -> new FixedPointSolver(tau), tauKey);
            }
            case REVERSIBLE -> {
                double beta = v.real(BETA, DEFAULT_BETA);
                yield v.build(() -> new ReversibleSolver(beta), BETA);
            }
            case ANDERSON -> {
                AndersonSolver d = AndersonSolver.defaults();
                int m = v.integer(ANDERSON_M, d.m());
                double lambda = v.real(ANDERSON_LAMBDA, d.lambda());
                double beta = v.real(ANDERSON_BETA, d.beta());
                yield v.build(() -> new AndersonSolver(m, lambda, beta), ANDERSON_M, ANDERSON_LAMBDA,
                        ANDERSON_BETA);
            }
            case BROYDEN -> {
                int memory = v.integer(BROYDEN_MEMORY, BroydenSolver.defaults().memory());
                yield v.build(() -> new BroydenSolver(memory), BROYDEN_MEMORY);
            }
        };
    }

    private static StopCriterion stop(ConfigValues v, ConfigKey maxIter, ConfigKey tol, ConfigKey mode,
            StopCriterion defaults) {
        int steps = v.integer(maxIter, defaults.maxSteps());
        double tolerance = v.real(tol, defaults.tol());
        StopMode stopMode = v.choice(mode, StopMode::parse).orElse(defaults.mode());
        return v.build(() -> new StopCriterion(steps, tolerance, stopMode), maxIter, tol);
    }

    private static EvalBudget evalBudget(ConfigValues v) {
        double factor = v.real(EVAL_FACTOR, 1.0);
        int steps = v.integer(EVAL_F_MAX_ITER, 0);
        if (steps == 0) {
            return v.build(() -> new EvalBudget.Scaled(factor), EVAL_FACTOR);
        }
        if (factor != 1.0) {
            throw new InvalidConfigException("config keys 'eval_factor' (" + factor + ") and 'eval_f_max_iter' ("
                    + steps + ") both set the evaluation budget; give one of the two");
        }
        return v.build(() -> new EvalBudget.Fixed(steps), EVAL_F_MAX_ITER);
    }

    /** The adjoint named by {@code adjoint}, or by torchdeq's {@code ift}, or the default for the solver. */
    private static AdjointKind adjointKind(ConfigValues v, SolverKind forward) {
        var named = v.choice(ADJOINT, AdjointKind::parse);
        var ift = v.bool(IFT);
        if (named.isPresent() && ift.isPresent() && ift.get() != (named.get() == AdjointKind.IMPLICIT)) {
            throw new InvalidConfigException("config keys 'ift' and 'adjoint' disagree: ift is " + ift.get()
                    + " but adjoint is '" + named.get().name().toLowerCase(Locale.ROOT) + "'; 'ift: true' means"
                    + " adjoint 'implicit'. Give one of the two keys");
        }
        return named.orElseGet(() -> ift.orElse(false) ? AdjointKind.IMPLICIT
                : forward == SolverKind.REVERSIBLE ? AdjointKind.REVERSIBLE : AdjointKind.PHANTOM);
    }

    private static Adjoint adjoint(ConfigValues v, AdjointKind kind) {
        return switch (kind) {
            case UNROLLED -> new UnrolledAdjoint();
            case IMPLICIT -> {
                SolverKind backwardKind = v.choice(B_SOLVER, SolverKind::parse).orElse(SolverKind.FIXED_POINT);
                if (backwardKind == SolverKind.REVERSIBLE) {
                    throw ConfigValues.error(B_SOLVER, "the implicit adjoint's backward equation is linear and needs"
                            + " no reversing: use 'fixed_point', 'anderson' or 'broyden', not 'reversible'");
                }
                Solver<?> backward = solver(v, backwardKind, B_TAU);
                StopCriterion stop = stop(v, B_MAX_ITER, B_TOL, B_STOP_MODE,
                        new StopCriterion(DEFAULT_B_MAX_ITER, DEFAULT_B_TOL, DEFAULT_B_STOP_MODE));
                yield new ImplicitAdjoint(backward, stop);
            }
            case PHANTOM -> {
                int k = v.integerOrSingletonList(GRAD, DEFAULT_GRAD);
                double tau = v.real(TAU, DEFAULT_TAU);
                yield v.build(() -> new PhantomAdjoint(k, tau), GRAD, TAU);
            }
            case REVERSIBLE -> {
                double threshold = v.real(DRIFT_THRESHOLD, DriftCheck.DEFAULT.threshold());
                DriftCheck.Action action = v.choice(DRIFT_ACTION, DeqConfigs::parseDriftAction)
                        .orElse(DriftCheck.DEFAULT.action());
                yield new ReversibleAdjoint(v.build(() -> new DriftCheck(threshold, action), DRIFT_THRESHOLD));
            }
        };
    }

    private static DriftCheck.Action parseDriftAction(String s) {
        return Arrays.stream(DriftCheck.Action.values()).filter(a -> a.name().equalsIgnoreCase(s)).findFirst()
                .orElseThrow(() -> new InvalidConfigException("unknown drift action '" + s
                        + "'; use ignore, warn or fail"));
    }

    private static void putSolver(Map<String, Object> m, Solver<?> solver, ConfigKey nameKey, ConfigKey tauKey) {
        m.put(nameKey.key(), solver.name());
        if (solver instanceof FixedPointSolver f) {
            m.put(tauKey.key(), f.tau());
        } else if (solver instanceof ReversibleSolver r) {
            m.put(BETA.key(), r.beta());
        } else if (solver instanceof AndersonSolver a) {
            putShared(m, ANDERSON_M, a.m());
            putShared(m, ANDERSON_LAMBDA, a.lambda());
            putShared(m, ANDERSON_BETA, a.beta());
        } else if (solver instanceof BroydenSolver b) {
            putShared(m, BROYDEN_MEMORY, b.memory());
        } else {
            throw new InvalidConfigException("solver '" + solver.name() + "' has no map form in this build");
        }
    }

    /** A key the forward and backward solver share: both must agree on its value. */
    private static void putShared(Map<String, Object> m, ConfigKey key, Object value) {
        Object previous = m.putIfAbsent(key.key(), value);
        if (previous != null && !previous.equals(value)) {
            throw new InvalidConfigException("this configuration has no map form: its forward and backward solvers"
                    + " set the shared key '" + key.key() + "' to " + previous + " and " + value);
        }
    }

    private static void putStop(Map<String, Object> m, StopCriterion stop, ConfigKey maxIter, ConfigKey tol,
            ConfigKey mode) {
        m.put(maxIter.key(), stop.maxSteps());
        m.put(tol.key(), stop.tol());
        m.put(mode.key(), stop.mode() == StopMode.ABSOLUTE ? "abs" : "rel");
    }

    private static String typeName(DataType type) {
        return switch (type) {
            case DOUBLE -> "float64";
            case FLOAT -> "float32";
            case HALF -> "float16";
            case BFLOAT16 -> "bfloat16";
            default -> throw new InvalidConfigException("data type " + type + " has no configuration name");
        };
    }
}
