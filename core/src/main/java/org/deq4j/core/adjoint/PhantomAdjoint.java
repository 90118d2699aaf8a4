package org.deq4j.core.adjoint;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.solver.ActiveSet;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.state.State;

/**
 * The phantom gradient: from the detached fixed point z*, take {@code k} damped steps
 * {@code z ← τ·f(z) + (1-τ)·z} and backpropagate through them. An approximation of the implicit
 * gradient that improves with k (the damped Neumann series of (I - J)⁻¹), memory O(k). The
 * forward output stays z*. Works with any forward solver.
 *
 * @param k   number of damped steps, at least 1
 * @param tau damping in (0, 1]
 */
public record PhantomAdjoint(int k, double tau) implements Adjoint {

    public PhantomAdjoint {
        if (k < 1) {
            throw new InvalidConfigException("phantom gradient steps k must be at least 1, got " + k);
        }
        if (!(tau > 0 && tau <= 1)) {
            throw new InvalidConfigException("phantom damping tau must be in (0, 1], got " + tau);
        }
    }

    @Override
    public String name() {
        return "phantom";
    }

    @Override
    public void requireCompatible(Solver<?> solver) {
        // Phantom steps start from the detached fixed point, whatever solver found it.
    }

    @Override
    public DeqSolution solve(Cell cell, State x, State z0, Solver<?> solver, StopCriterion stop) {
        ForwardLoop.Outcome<?> out = ForwardLoop.run("forward solve", solver, cell, x, z0, stop, it -> { });
        State z = out.iterate().z();
        return new AdjointSolution(z, out.stats(), gz -> {
            FixedPointSolver damped = new FixedPointSolver(tau);
            Trajectory<FixedPointSolver.Iterate, State> trajectory = new Trajectory<>(damped);
            FixedPointSolver.Iterate it = damped.init(cell, x, z);
            trajectory.add(it);
            ActiveSet all = ActiveSet.all(z.batchSize(), z.dataType());
            for (int n = 1; n <= k; n++) {
                damped.step(cell, x, it, all);
                trajectory.add(it);
            }
            int[] steps = new int[(int) z.batchSize()];
            java.util.Arrays.fill(steps, k);
            VjpAccumulator acc = trajectory.backprop("phantom backward", cell, x, steps, gz);
            return new DeqGradients(acc.gx(), acc.gParams(), BackwardStats.of(acc.evaluations() + k + 1));
        });
    }
}
