package org.deq4j.samediff.dl4j;

import java.util.Objects;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.reg.JacobianRegularization;

/**
 * The training stabilisers a model builder (the zoo's {@code ImplicitResNet}, the LM's
 * {@code DeqTransformerLM}) puts on every DEQ layer it builds: locked dropout inside the cell and
 * Jacobian regularisation of the fixed point. One value rather than one builder overload per
 * stabiliser, so adding a stabiliser does not multiply the builders' signatures. Both are training-time
 * only: evaluation and inference are unaffected.
 *
 * @param dropout  the cells' locked dropout ({@link VariationalDropout#OFF} for none)
 * @param jacobian the Jacobian regularisation ({@link JacobianRegularization#OFF} for none)
 * @throws NullPointerException if either is null
 */
public record DeqStabilisers(VariationalDropout dropout, JacobianRegularization jacobian) {
    /** No stabiliser: what every preset uses unless asked otherwise. */
    public static final DeqStabilisers NONE = new DeqStabilisers(VariationalDropout.OFF, JacobianRegularization.OFF);

    public DeqStabilisers {
        Objects.requireNonNull(dropout, "dropout");
        Objects.requireNonNull(jacobian, "jacobian");
    }

    /** These stabilisers with locked dropout {@code dropout}. */
    public DeqStabilisers withDropout(VariationalDropout dropout) {
        return new DeqStabilisers(dropout, jacobian);
    }

    /** These stabilisers with Jacobian regularisation {@code jacobian}. */
    public DeqStabilisers withJacobian(JacobianRegularization jacobian) {
        return new DeqStabilisers(dropout, jacobian);
    }

    /** {@code deq} with this value's Jacobian regularisation (dropout lives on the layer, not the solve). */
    public DeqConfig applyTo(DeqConfig deq) {
        return deq.jacobian().equals(jacobian) ? deq : deq.toBuilder().jacobian(jacobian).build();
    }

    /** Whether any stabiliser is on. */
    public boolean isAnyOn() {
        return dropout.isOn() || jacobian.isOn();
    }
}
