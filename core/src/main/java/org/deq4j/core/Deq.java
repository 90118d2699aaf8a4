package org.deq4j.core;

import java.util.Objects;
import java.util.Optional;

import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.FixedPoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.reg.JacobianPenalty;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;

/**
 * A DEQ layer's solve-and-differentiate entry point: {@code z* = f(z*, x)} from {@code z0 = 0} with
 * the configured solver, and gradients by the configured adjoint.
 *
 * <pre>{@code
 * Deq deq = Deq.reversible(0.8, 4);
 * DeqSolution sol = deq.solve(cell, x);          // sol.z(): the fixed point, sol.stats(): per-sample stats
 * DeqGradients g = sol.backward(dLdz);           // g.gx(), g.gParams()
 * FixedPoint p = deq.infer(cell, x);             // no gradient: the same z*, nothing kept
 *
 * // with Jacobian regularisation in the configuration, on a training step:
 * Optional<JacobianPenalty> r = deq.jacobianPenalty(cell, x, sol, rng);
 * // loss += r.value() · λ; gradients += r.gradients(λ) (added to g.gx() and g.gParams())
 * }</pre>
 *
 * Instances are immutable and may be shared between threads; each solve is independent.
 */
public final class Deq {
    private final DeqConfig config;

    private Deq(DeqConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** A DEQ with the given configuration. */
    public static Deq of(DeqConfig config) {
        return new Deq(config);
    }

    /**
     * RevDEQ with a fixed budget: reversible solver and adjoint, {@code steps} steps, relative
     * tolerance 1e-6, float64 state with a float32 cell.
     */
    public static Deq reversible(double beta, int steps) {
        return of(DeqConfig.builder().solver(new ReversibleSolver(beta)).adjoint(new ReversibleAdjoint())
                .maxSteps(steps).build());
    }

    public DeqConfig config() {
        return config;
    }

    /** Solves from {@code z0 = 0}, shaped by {@link Cell#initialState}. */
    public DeqSolution solve(Cell cell, State x) {
        return solve(cell, x, cell.initialState(x, config.precision().stateType()));
    }

    /** Solves a single-array injection from {@code z0 = 0}. */
    public DeqSolution solve(Cell cell, INDArray x) {
        return solve(cell, State.of(x));
    }

    /**
     * Solves from the given initial state (cast to the state data type).
     *
     * @throws ShapeMismatchException if {@code z0} and {@code x} disagree on batch size or the
     *         cell's output is not shaped like {@code z0}
     * @throws DivergenceException if the state becomes NaN or Inf
     */
    public DeqSolution solve(Cell cell, State x, State z0) {
        requireSameBatch(x, z0);
        return config.adjoint().solve(config.precision().wrap(cell), x,
                z0.castTo(config.precision().stateType()), config.solver(), config.stop());
    }

    /**
     * Solves from {@code z0 = 0} without a gradient: the same solver as {@link #solve} with the inference
     * stopping rule {@link DeqConfig#evalStop()} (the training one unless the configuration sets an
     * {@code eval_factor}, in which case z* is the same up to the extra steps); the adjoint is not
     * involved and nothing is kept for a backward pass (no trajectory, no initial state). For
     * evaluation and generation.
     */
    public FixedPoint infer(Cell cell, State x) {
        return infer(cell, x, cell.initialState(x, config.precision().stateType()));
    }

    /**
     * {@link #infer(Cell, State)} from a given initial state (a warm start), cast to the state type. A
     * start near the fixed point (say the fixed point of a similar input) converges in fewer steps when
     * the stopping tolerance can be reached; with a budget the tolerance never stops, it only changes
     * where the fixed budget ends.
     *
     * @throws ShapeMismatchException if {@code z0} and {@code x} disagree on batch size or the cell's
     *         output is not shaped like {@code z0}
     * @throws DivergenceException if the state becomes NaN or Inf
     */
    public FixedPoint infer(Cell cell, State x, State z0) {
        requireSameBatch(x, z0);
        return FixedPoint.solve(config.precision().wrap(cell), x, z0.castTo(config.precision().stateType()),
                config.solver(), config.evalStop());
    }

    /**
     * For one training step: the configuration's Jacobian penalty at {@code solution}'s fixed point
     * ({@link org.deq4j.core.reg.JacobianRegularization#sample}: applied with its frequency, probes
     * from {@code rng}), with z* and x cast to the precision's compute type, the type the cell runs
     * in. Empty when the configuration has no regularisation or this step skips it. The caller adds
     * {@code λ·R} to its loss and {@link JacobianPenalty#gradients gradients(λ)} to the solution's
     * gradients (the injection gradient comes in the compute type).
     */
    public Optional<JacobianPenalty> jacobianPenalty(Cell cell, State x, DeqSolution solution, Random rng) {
        DataType compute = config.precision().computeType();
        return config.jacobian().sample(cell, solution.z().castTo(compute), x.castTo(compute), rng);
    }

    private static void requireSameBatch(State x, State z0) {
        if (z0.batchSize() != x.batchSize()) {
            throw new ShapeMismatchException("initial state has batch size " + z0.batchSize()
                    + " but the injection has " + x.batchSize());
        }
    }
}
