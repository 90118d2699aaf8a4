package org.deq4j.core.adjoint;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.solver.DifferentiableSolver;
import org.deq4j.core.solver.Iterate;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.state.State;

/**
 * Backpropagation through the stored solver trajectory (BPTT): exact for the computed trajectory,
 * memory O(N) in the number of steps. The reference every other adjoint is tested against. Works
 * with the solvers whose steps are differentiable ({@link DifferentiableSolver}: fixed-point and
 * reversible).
 */
public record UnrolledAdjoint() implements Adjoint {

    @Override
    public String name() {
        return "unrolled";
    }

    @Override
    public void requireCompatible(Solver<?> solver) {
        if (!(solver instanceof DifferentiableSolver<?, ?>)) {
            throw new InvalidConfigException("the unrolled adjoint cannot differentiate the '" + solver.name()
                    + "' solver; use it with 'fixed_point' or 'reversible', or use the 'implicit' or 'phantom'"
                    + " adjoint with '" + solver.name() + "'");
        }
    }

    @Override
    public DeqSolution solve(Cell cell, State x, State z0, Solver<?> solver, StopCriterion stop) {
        requireCompatible(solver);
        return solveWith((DifferentiableSolver<?, ?>) solver, cell, x, z0, stop);
    }

    private static <S extends Iterate, G> DeqSolution solveWith(DifferentiableSolver<S, G> solver, Cell cell,
            State x, State z0, StopCriterion stop) {
        Trajectory<S, G> trajectory = new Trajectory<>(solver);
        ForwardLoop.Outcome<S> out = ForwardLoop.run("forward solve", solver, cell, x, z0, stop, trajectory::add);
        State z = out.iterate().z();
        return new AdjointSolution(z, out.stats(), gz -> {
            VjpAccumulator acc = trajectory.backprop("unrolled backward", cell, x, out.stats().steps(), gz);
            return new DeqGradients(acc.gx(), acc.gParams(), BackwardStats.of(acc.evaluations()));
        });
    }
}
