package org.deq4j.core.solver;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.StateVjp;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.state.State;

/**
 * Relaxed fixed-point iteration {@code z ← (1-τ)·z + τ·f(z)}; {@code τ = 1} is plain iteration.
 * One cell evaluation per step. Converges for contractive cells; relaxation {@code τ < 1} damps
 * oscillation.
 *
 * @param tau relaxation in (0, 1]
 */
public record FixedPointSolver(double tau) implements DifferentiableSolver<FixedPointSolver.Iterate, State> {

    /** The current iterate and its image. */
    public record Iterate(State z, State fz) implements org.deq4j.core.solver.Iterate {
    }

    public FixedPointSolver {
        if (!(tau > 0 && tau <= 1)) {
            throw new InvalidConfigException("fixed-point relaxation tau must be in (0, 1], got " + tau);
        }
    }

    /** Plain, undamped fixed-point iteration. */
    public static FixedPointSolver plain() {
        return new FixedPointSolver(1.0);
    }

    @Override
    public String name() {
        return "fixed_point";
    }

    @Override
    public int evaluationsPerStep() {
        return 1;
    }

    @Override
    public Iterate init(Cell cell, State x, State z0) {
        State z = z0.dup();
        return new Iterate(z, cell.apply(z, x));
    }

    @Override
    public void step(Cell cell, State x, Iterate it, ActiveSet active) {
        if (active.isAll()) {
            it.z().linearInPlace(1 - tau, it.fz(), tau);
        } else {
            active.update(it.z(), it.z().dup().linearInPlace(1 - tau, it.fz(), tau));
        }
        it.fz().assignInPlace(cell.apply(it.z(), x));
    }

    @Override
    public Iterate snapshot(Iterate it) {
        return new Iterate(it.z().dup(), it.fz().dup());
    }

    @Override
    public State seed(Iterate last, State gz) {
        return gz.dup();
    }

    @Override
    public State backpropStep(Cell cell, State x, Iterate before, Iterate after, ActiveSet active, State gz,
            VjpAccumulator acc) {
        // z_n = z_{n-1} + m·τ·(f(z_{n-1}) - z_{n-1})
        State gm = active.restrict(gz);
        StateVjp v = acc.pull(before.z(), gm, tau);
        return gz.addScaledInPlace(-tau, gm).addScaledInPlace(tau, v.gz());
    }
}
