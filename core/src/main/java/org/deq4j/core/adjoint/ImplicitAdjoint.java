package org.deq4j.core.adjoint;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.state.State;

/**
 * The implicit-function-theorem gradient: solves {@code g = J_f(z*)ᵀ·g + dL/dz*} with a backward
 * solver, then pulls {@code g} back through ∂f/∂θ and ∂f/∂x once. Memory O(1) in the forward steps;
 * exact only when z* is an exact fixed point and the backward solve converged, so the result is as
 * good as both tolerances. Works with any forward solver.
 *
 * @param backwardSolver solver of the backward linear fixed point (fixed-point, Anderson or Broyden)
 * @param backwardStop   its budget and tolerance ({@code b_max_iter}, {@code b_tol} in torchdeq)
 */
public record ImplicitAdjoint(Solver<?> backwardSolver, StopCriterion backwardStop) implements Adjoint {

    public ImplicitAdjoint {
        Objects.requireNonNull(backwardSolver, "backwardSolver");
        Objects.requireNonNull(backwardStop, "backwardStop");
        if (backwardSolver instanceof ReversibleSolver) {
            throw new InvalidConfigException("the implicit adjoint's backward solver must be 'fixed_point',"
                    + " 'anderson' or 'broyden', not 'reversible' (the backward equation is linear; nothing"
                    + " needs to be reversed)");
        }
    }

    @Override
    public String name() {
        return "implicit";
    }

    @Override
    public void requireCompatible(Solver<?> solver) {
        // The implicit function theorem holds at the fixed point whatever solver found it.
    }

    @Override
    public DeqSolution solve(Cell cell, State x, State z0, Solver<?> solver, StopCriterion stop) {
        ForwardLoop.Outcome<?> out = ForwardLoop.run("forward solve", solver, cell, x, z0, stop, it -> { });
        State z = out.iterate().z();
        return new AdjointSolution(z, out.stats(), g0 -> {
            AdjointLinearCell linear = new AdjointLinearCell(cell, z, x, g0);
            ForwardLoop.Outcome<?> back = ForwardLoop.run("implicit backward solve", backwardSolver, linear,
                    x, g0.zerosLike(), backwardStop, it -> { });
            VjpAccumulator acc = new VjpAccumulator(cell, x);
            acc.pull(z, back.iterate().z(), 1.0);
            ForwardLoop.requireFinite("implicit backward", acc.gx(), back.stats().maxSteps());
            return new DeqGradients(acc.gx(), acc.gParams(), new BackwardStats(
                    back.stats().cellEvaluations() + acc.evaluations(), OptionalDouble.empty(),
                    Optional.of(back.stats())));
        });
    }
}
