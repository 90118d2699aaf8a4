package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.config.NormConfig;
import org.deq4j.core.reg.JacobianRegularization;

/**
 * The training stabilisers of a model's DEQ layers, as a preset states them (the zoo's {@code ZooPreset},
 * the LM's {@code DeqLanguageModelConfig}) and its builder applies them to every DEQ it builds: locked
 * dropout inside the cell, Jacobian regularisation of the fixed point and weight or spectral
 * normalisation of the cell's weights (see {@code docs/stabilisers.md}). One value rather than one
 * builder overload per stabiliser. Dropout and the Jacobian penalty act on training steps only; a
 * normalisation also shapes the weights at evaluation.
 *
 * @param dropout  the cells' locked dropout ({@link VariationalDropout#OFF} for none)
 * @param jacobian the Jacobian regularisation ({@link JacobianRegularization#OFF} for none)
 * @param norm     the cells' weight normalisation ({@link NormConfig#NONE} for none)
 * @throws NullPointerException if any is null
 */
public record DeqStabilisers(VariationalDropout dropout, JacobianRegularization jacobian, NormConfig norm) {
    /** No stabiliser: what the paper's models use, and so every preset. */
    public static final DeqStabilisers NONE =
            new DeqStabilisers(VariationalDropout.OFF, JacobianRegularization.OFF, NormConfig.NONE);

    public DeqStabilisers {
        Objects.requireNonNull(dropout, "dropout");
        Objects.requireNonNull(jacobian, "jacobian");
        Objects.requireNonNull(norm, "norm");
    }

    /** These stabilisers with locked dropout {@code dropout}. */
    public DeqStabilisers withDropout(VariationalDropout dropout) {
        return new DeqStabilisers(dropout, jacobian, norm);
    }

    /** These stabilisers with Jacobian regularisation {@code jacobian}. */
    public DeqStabilisers withJacobian(JacobianRegularization jacobian) {
        return new DeqStabilisers(dropout, jacobian, norm);
    }

    /** These stabilisers with weight normalisation {@code norm}. */
    public DeqStabilisers withNorm(NormConfig norm) {
        return new DeqStabilisers(dropout, jacobian, norm);
    }

    /** {@code deq} with this value's Jacobian regularisation (dropout and norm live on the layer, not the solve). */
    public DeqConfig applyTo(DeqConfig deq) {
        return deq.jacobian().equals(jacobian) ? deq : deq.toBuilder().jacobian(jacobian).build();
    }

    /** {@code vertex} with this value's dropout and normalisation; the Jacobian part goes in with {@link #applyTo}. */
    public DeqVertex.Builder applyTo(DeqVertex.Builder vertex) {
        return vertex.dropout(dropout.rate()).norm(norm);
    }

    /** Whether any stabiliser is on. */
    public boolean isAnyOn() {
        return dropout.isOn() || jacobian.isOn() || !norm.equals(NormConfig.NONE);
    }

    /** A one-line description for run headers and listings, e.g. "dropout 0.1, Jacobian λ 1 (every step, 1 probe)". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (dropout.isOn()) {
            parts.add(String.format(Locale.ROOT, "locked dropout %s", dropout.rate()));
        }
        if (jacobian.isOn()) {
            parts.add(String.format(Locale.ROOT, "Jacobian regularisation λ %s (%s, %d probe%s)", jacobian.weight(),
                    jacobian.frequency() == 1 ? "every step" : "frequency " + jacobian.frequency(), jacobian.probes(),
                    jacobian.probes() == 1 ? "" : "s"));
        }
        if (!norm.equals(NormConfig.NONE)) {
            parts.add(String.valueOf(norm.toMap().get("norm_type")));
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }
}
