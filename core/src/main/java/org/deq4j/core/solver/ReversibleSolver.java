package org.deq4j.core.solver;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.StateVjp;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.state.State;

/**
 * The reversible solver of RevDEQ: two coupled sequences
 * <pre>
 *   y ← (1-β)·y + β·f(z)
 *   z ← (1-β)·z + β·f(y)      (with the new y)
 * </pre>
 * started from {@code y = z = z0}. Each step can be inverted exactly,
 * {@code z_{n-1} = (z_n - β·f(y_n)) / (1-β)} and {@code y_{n-1} = (y_n - β·f(z_{n-1})) / (1-β)},
 * which lets {@link org.deq4j.core.adjoint.ReversibleAdjoint} rebuild the trajectory backwards
 * instead of storing it. Two cell evaluations per step.
 *
 * <p>Each inverse step multiplies rounding error by at least {@code 1/|1-β|}: keep the state in
 * float64 (see {@link org.deq4j.core.precision.PrecisionPolicy}).
 *
 * @param beta relaxation in (0, 2), not 1 (the inverse divides by 1-β)
 */
public record ReversibleSolver(double beta)
        implements DifferentiableSolver<ReversibleSolver.Iterate, ReversibleSolver.Cotangent> {

    /** Both sequences and {@code f(z)} at the current z (reused by the next step and the residual). */
    public record Iterate(State y, State z, State fz) implements org.deq4j.core.solver.Iterate {
    }

    /** Gradients of the loss with respect to the current y and z. */
    public record Cotangent(State gy, State gz) {
    }

    public ReversibleSolver {
        if (!(beta > 0 && beta < 2) || Double.isNaN(beta)) {
            throw new InvalidConfigException("reversible beta must be in (0, 2), got " + beta);
        }
        if (beta == 1.0) {
            throw new InvalidConfigException("reversible beta must not be 1: the inverse step divides by 1-beta;"
                    + " use e.g. 0.8 (vision) or 0.5 (language)");
        }
    }

    @Override
    public String name() {
        return "reversible";
    }

    @Override
    public int evaluationsPerStep() {
        return 2;
    }

    @Override
    public Iterate init(Cell cell, State x, State z0) {
        State z = z0.dup();
        return new Iterate(z0.dup(), z, cell.apply(z, x));
    }

    @Override
    public void step(Cell cell, State x, Iterate it, ActiveSet active) {
        if (active.isAll()) {
            it.y().linearInPlace(1 - beta, it.fz(), beta);
            it.z().linearInPlace(1 - beta, cell.apply(it.y(), x), beta);
        } else {
            active.update(it.y(), it.y().dup().linearInPlace(1 - beta, it.fz(), beta));
            active.update(it.z(), it.z().dup().linearInPlace(1 - beta, cell.apply(it.y(), x), beta));
        }
        it.fz().assignInPlace(cell.apply(it.z(), x));
    }

    @Override
    public Iterate snapshot(Iterate it) {
        return new Iterate(it.y().dup(), it.z().dup(), it.fz().dup());
    }

    @Override
    public Cotangent seed(Iterate last, State gz) {
        return new Cotangent(gz.zerosLike(), gz.dup());
    }

    @Override
    public Cotangent backpropStep(Cell cell, State x, Iterate before, Iterate after, ActiveSet active,
            Cotangent grad, VjpAccumulator acc) {
        reverse(cell, x, after, before, active, grad, acc);
        return grad;
    }

    /**
     * One exact reverse step that also rebuilds the iterate: {@code it} holds (y_n, z_n) on entry
     * and (y_{n-1}, z_{n-1}) on return, {@code grad} likewise moves from step n to n-1; the cell
     * is evaluated twice, at y_n and at the rebuilt z_{n-1}, each evaluation serving both the
     * inversion and the VJP. {@code it.fz()} is not maintained.
     */
    public void reverseInPlace(Cell cell, State x, Iterate it, ActiveSet active, Cotangent grad,
            VjpAccumulator acc) {
        reverse(cell, x, it, null, active, grad, acc);
    }

    /**
     * The reverse step. With {@code stored == null} the previous iterate is rebuilt into
     * {@code after}; otherwise it is read from {@code stored} (the unrolled reference). One code
     * path for both keeps the reversible gradient and its reference from drifting apart.
     */
    private void reverse(Cell cell, State x, Iterate after, Iterate stored, ActiveSet active, Cotangent grad,
            VjpAccumulator acc) {
        double keep = 1 - beta;
        // z_n = (1-β) z_{n-1} + β f(y_n): adjoint of y_n gains β·J_f(y_n)ᵀ gz.
        State gzm = active.restrict(grad.gz());
        StateVjp a = acc.pull(after.y(), gzm, beta);
        grad.gy().addScaledInPlace(beta, a.gz());
        State zPrev;
        if (stored == null) {
            zPrev = after.z().dup().linearInPlace(1 / keep, a.value(), -beta / keep);
            active.update(after.z(), zPrev);
            zPrev = after.z();
        } else {
            zPrev = stored.z();
        }
        // y_n = (1-β) y_{n-1} + β f(z_{n-1}): adjoint of z_{n-1} gains β·J_f(z_{n-1})ᵀ gy.
        State gym = active.restrict(grad.gy());
        StateVjp b = acc.pull(zPrev, gym, beta);
        if (stored == null) {
            active.update(after.y(), after.y().dup().linearInPlace(1 / keep, b.value(), -beta / keep));
        }
        grad.gz().addScaledInPlace(-beta, gzm).addScaledInPlace(beta, b.gz());
        grad.gy().addScaledInPlace(-beta, gym);
    }
}
