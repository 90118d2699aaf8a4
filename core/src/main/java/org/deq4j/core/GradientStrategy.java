package org.deq4j.core;

import java.util.Arrays;
import java.util.Locale;

import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopCriterion;

/**
 * The named ways of training a DEQ layer, one meaning per name wherever a name is accepted (the
 * {@code --gradient} option of {@code train} and {@code lm train}, run settings in checkpoints, the
 * zoo and language-model builders). Each name fixes the forward solver and the adjoint; β, the step
 * budget and the tolerance come from the model:
 *
 * <ul>
 *   <li>{@link #REVERSIBLE} (RevDEQ): reversible solver relaxed by β, exact gradient of its steps by
 *       reversing them (memory independent of the steps);</li>
 *   <li>{@link #UNROLLED}: fixed-point iteration relaxed by β ({@code z ← (1-β)z + βf(z)}),
 *       backpropagation through every stored step;</li>
 *   <li>{@link #IMPLICIT}: the same fixed-point forward; gradient by the implicit-function theorem, its
 *       linear system solved by plain fixed-point iteration with the forward's step budget and tolerance;</li>
 *   <li>{@link #PHANTOM}: the same fixed-point forward; phantom gradient of {@code steps} damped steps
 *       with damping τ = β.</li>
 * </ul>
 *
 * The three baselines share the standard DEQ forward (torchdeq's relaxed fixed-point iteration), so they
 * differ from one another only in the gradient, and from RevDEQ in both. Any other pairing (for example
 * backpropagating through the reversible solver) is an explicit {@link DeqConfig}.
 */
public enum GradientStrategy {
    REVERSIBLE, UNROLLED, IMPLICIT, PHANTOM;

    /**
     * The configuration of this strategy with the default precision (float64 state, float32 cell); change
     * the precision with {@code toBuilder()}.
     *
     * @param steps forward step budget, at least 1
     * @param beta  relaxation: in (0, 2) and not 1 for {@link #REVERSIBLE}, in (0, 1] for the others
     * @param tol   relative residual at which a sample stops
     * @throws InvalidConfigException if a value is out of range for this strategy
     */
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

    /** Lower-case name, as on the command line and in run settings. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The strategy named {@code name} (case-insensitive, surrounding blanks ignored).
     *
     * @throws InvalidConfigException for an unknown name, listing the known ones
     */
    public static GradientStrategy parse(String name) {
        for (GradientStrategy g : values()) {
            if (g.id().equalsIgnoreCase(name.trim())) {
                return g;
            }
        }
        throw new InvalidConfigException("unknown gradient strategy '" + name + "'; choose one of "
                + String.join(", ", Arrays.stream(values()).map(GradientStrategy::id).toList()));
    }
}
