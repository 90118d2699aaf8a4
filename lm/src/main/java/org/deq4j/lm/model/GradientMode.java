package org.deq4j.lm.model;

import java.util.Arrays;
import java.util.Locale;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopCriterion;

/**
 * How the language model's DEQ is differentiated. The forward solve is the same in every mode (the
 * reversible solver with the preset's β, steps and tolerance, from {@code z0 = 0}); only the adjoint
 * changes, so the modes are comparable on equal footing:
 * <ul>
 * <li>{@link #REVERSIBLE}: RevDEQ's exact gradient of the reversible iteration, reconstructing the
 *     trajectory backwards (memory independent of the steps).</li>
 * <li>{@link #UNROLLED}: backpropagation through the stored trajectory of the same iteration (same
 *     gradient as reversible up to rounding, memory linear in the steps).</li>
 * <li>{@link #IMPLICIT}: implicit-function-theorem gradient at the (approximate) fixed point, backward
 *     linear system solved by plain fixed-point iteration with the forward budget and tolerance.</li>
 * <li>{@link #PHANTOM}: phantom gradient, {@code maxSteps} damped steps (τ 0.5) from the detached fixed
 *     point.</li>
 * </ul>
 */
public enum GradientMode {
    REVERSIBLE, UNROLLED, IMPLICIT, PHANTOM;

    /** Damping of the phantom gradient's steps. */
    public static final double PHANTOM_TAU = 0.5;

    /**
     * The mode by its lower-case name ({@code reversible}, {@code unrolled}, {@code implicit}, {@code phantom}).
     *
     * @throws InvalidConfigException for any other name
     */
    public static GradientMode parse(String name) {
        for (GradientMode m : values()) {
            if (m.label().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new InvalidConfigException("unknown gradient mode '" + name + "'; choose one of "
                + Arrays.stream(values()).map(GradientMode::label).toList());
    }

    /** Lower-case name, as accepted by {@link #parse}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The DEQ configuration of this mode for a model.
     *
     * @param model     β, steps and tolerance of the forward solve
     * @param precision solver state and cell compute types (the compute type must be the network's)
     */
    public DeqConfig deqConfig(DeqLanguageModelConfig model, PrecisionPolicy precision) {
        DeqConfig.Builder b = DeqConfig.builder().solver(new ReversibleSolver(model.beta())).maxSteps(model.maxSteps())
                .tol(model.tol()).precision(precision);
        return switch (this) {
            case REVERSIBLE -> b.adjoint(new ReversibleAdjoint()).build();
            case UNROLLED -> b.adjoint(new UnrolledAdjoint()).build();
            case IMPLICIT -> b.adjoint(new ImplicitAdjoint(FixedPointSolver.plain(),
                    StopCriterion.of(model.maxSteps(), model.tol()))).build();
            case PHANTOM -> b.adjoint(new PhantomAdjoint(model.maxSteps(), PHANTOM_TAU)).build();
        };
    }
}
