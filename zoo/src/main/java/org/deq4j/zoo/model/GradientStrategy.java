package org.deq4j.zoo.model;

import java.util.Locale;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopCriterion;

/**
 * How the zoo models' DEQ layers are differentiated, and with it which forward solver they use
 * (state float64, cell float32: the default {@link org.deq4j.core.precision.PrecisionPolicy}):
 *
 * <ul>
 *   <li>{@link #REVERSIBLE} (RevDEQ, the default): reversible solver with relaxation β, exact gradient
 *       of its steps by reversing them (memory O(1) in the steps);</li>
 *   <li>{@link #UNROLLED}: fixed-point iteration relaxed by β, backpropagation through all steps;</li>
 *   <li>{@link #IMPLICIT}: the same fixed-point forward, gradient from the implicit-function theorem,
 *       its linear system solved by plain fixed-point iteration with the same step budget and tolerance;</li>
 *   <li>{@link #PHANTOM}: the same fixed-point forward, phantom gradient of {@code steps} steps damped by β.</li>
 * </ul>
 * With the paper's small step budgets the implicit and phantom gradients are approximations (the forward
 * solve is not converged); the reversible and unrolled ones are exact gradients of the computation done.
 */
public enum GradientStrategy {
    REVERSIBLE, UNROLLED, IMPLICIT, PHANTOM;

    /** The DEQ configuration for {@code steps} solver steps, relaxation {@code beta} and tolerance {@code tol}. */
    public DeqConfig config(int steps, double beta, double tol) {
        DeqConfig.Builder b = DeqConfig.builder().maxSteps(steps).tol(tol);
        return switch (this) {
            case REVERSIBLE -> b.solver(new ReversibleSolver(beta)).adjoint(new ReversibleAdjoint()).build();
            case UNROLLED -> b.solver(new FixedPointSolver(beta)).adjoint(new UnrolledAdjoint()).build();
            case IMPLICIT -> b.solver(new FixedPointSolver(beta))
                    .adjoint(new ImplicitAdjoint(FixedPointSolver.plain(), StopCriterion.of(steps, tol))).build();
            case PHANTOM -> b.solver(new FixedPointSolver(beta)).adjoint(new PhantomAdjoint(steps, beta)).build();
        };
    }

    /** Lower-case name, as on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The strategy named {@code name} (case-insensitive).
     *
     * @throws InvalidConfigException for an unknown name, listing the known ones
     */
    public static GradientStrategy parse(String name) {
        for (GradientStrategy g : values()) {
            if (g.id().equalsIgnoreCase(name.trim())) {
                return g;
            }
        }
        throw new InvalidConfigException("unknown gradient strategy '" + name
                + "'; choose reversible, unrolled, implicit or phantom");
    }
}
