package org.deq4j.core.reg;

import java.util.Optional;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.rng.Random;

/**
 * Jacobian regularisation of a DEQ layer (Bai, Koltun and Kolter, "Stabilizing Equilibrium Models by
 * Jacobian Regularization", ICML 2021; torchdeq's {@code jac_loss_weight} and {@code jac_loss_freq}):
 * on a training step the loss gets {@code weight · R}, where R is the Hutchinson estimate of the
 * state-size-normalised squared Frobenius norm of {@code ∂f/∂z} at the fixed point
 * (see {@link JacobianPenalty}). It keeps the fixed-point problem well conditioned, so the solver
 * needs fewer steps and the layer does not drift towards instability during training.
 *
 * @param weight    λ, the factor of R in the loss; 0 switches the regularisation off. Finite, ≥ 0.
 * @param frequency the probability that a training step applies it (torchdeq's {@code jac_loss_freq},
 *                  a Bernoulli draw per step); in (0, 1]
 * @param probes    Gaussian probe vectors per estimate (torchdeq's {@code vecs}); at least 1
 * @throws InvalidConfigException naming the value out of range
 */
public record JacobianRegularization(double weight, double frequency, int probes) {
    /** No regularisation: the default of every configuration. */
    public static final JacobianRegularization OFF = new JacobianRegularization(0, 1, 1);

    public JacobianRegularization {
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new InvalidConfigException("Jacobian regularisation weight (jac_loss_weight) must be finite and"
                    + " >= 0 (0 = off), got " + weight);
        }
        if (!(frequency > 0 && frequency <= 1)) {
            throw new InvalidConfigException("Jacobian regularisation frequency (jac_loss_freq) must be in (0, 1],"
                    + " the probability that a training step applies it, got " + frequency);
        }
        if (probes < 1) {
            throw new InvalidConfigException("Jacobian regularisation needs at least one probe vector"
                    + " (jac_loss_probes), got " + probes);
        }
    }

    /** Weight λ, applied on every training step, with one probe. */
    public static JacobianRegularization of(double weight) {
        return new JacobianRegularization(weight, 1, 1);
    }

    /** Whether the regularisation does anything: {@code weight > 0}. */
    public boolean isOn() {
        return weight > 0;
    }

    /**
     * For one training step: with probability {@link #frequency} (decided by {@code rng}) the estimate
     * of R at the fixed point {@code z} for injection {@code x}, with {@link #probes} Gaussian probes
     * from {@code rng}; empty when the regularisation is off or this step skips it. Drawing from the
     * caller's generator makes runs whose generator is seeded per step (as the trainer's is)
     * reproducible, and a resumed run draws what the uninterrupted one would.
     *
     * @param cell the cell, computing in {@code z}'s and {@code x}'s data type
     * @see JacobianPenalty#estimate
     */
    public Optional<JacobianPenalty> sample(Cell cell, State z, State x, Random rng) {
        if (!isOn() || (frequency < 1 && rng.nextDouble() >= frequency)) {
            return Optional.empty();
        }
        return Optional.of(JacobianPenalty.estimate(cell, z, x, JacobianPenalty.gaussianProbes(z, probes, rng)));
    }
}
