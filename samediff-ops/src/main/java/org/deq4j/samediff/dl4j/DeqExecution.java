package org.deq4j.samediff.dl4j;

import java.util.Locale;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopMode;

/**
 * What runs a DEQ vertex or layer: the RevDEQ SameDiff op ({@link org.deq4j.samediff.op.RevDeq}),
 * whose forward while loop and reversible reverse loop execute as SameDiff control flow, or the core
 * engine's Java loop ({@link org.deq4j.core.Deq}), which runs every solver and adjoint. Both give the
 * same values and gradients for the reversible pair (tested to 1e-12 and 1e-9 in float64).
 */
public enum DeqExecution {
    /** The RevDEQ op for the reversible pair with a relative tolerance, the core engine otherwise. */
    AUTO,
    /** The RevDEQ op; only the reversible solver with the reversible adjoint and a relative tolerance. */
    REVDEQ_OP,
    /** The core engine, for any solver and adjoint. */
    CORE_ENGINE;

    /**
     * What actually runs {@code config}: {@link #AUTO} resolved, the others checked.
     *
     * @throws InvalidConfigException if {@link #REVDEQ_OP} is asked for a configuration the op does
     *         not run
     */
    public DeqExecution resolve(DeqConfig config) {
        boolean opRuns = config.solver() instanceof ReversibleSolver && config.adjoint() instanceof ReversibleAdjoint
                && config.stop().mode() == StopMode.RELATIVE;
        return switch (this) {
            case AUTO -> opRuns ? REVDEQ_OP : CORE_ENGINE;
            case CORE_ENGINE -> CORE_ENGINE;
            case REVDEQ_OP -> {
                if (!opRuns) {
                    throw new InvalidConfigException("execution 'revdeq_op' runs only the reversible solver with the"
                            + " reversible adjoint and a relative tolerance, not solver '" + config.solver().name()
                            + "' with adjoint '" + config.adjoint().name() + "' (stop mode " + config.stop().mode()
                            + "); use execution 'auto' or 'core_engine'");
                }
                yield REVDEQ_OP;
            }
        };
    }

    /** The JSON and command-line name: the constant's name in lower case. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The execution named {@code id} (any case); null or empty is {@link #AUTO}, the value absent
     * from configurations saved before the setting existed.
     *
     * @throws InvalidConfigException for an unknown name
     */
    public static DeqExecution parse(String id) {
        if (id == null || id.isEmpty()) {
            return AUTO;
        }
        for (DeqExecution e : values()) {
            if (e.id().equalsIgnoreCase(id)) {
                return e;
            }
        }
        throw new InvalidConfigException("unknown DEQ execution '" + id + "'; use auto, revdeq_op or core_engine");
    }
}
