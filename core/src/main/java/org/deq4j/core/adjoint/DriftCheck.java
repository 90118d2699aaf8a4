package org.deq4j.core.adjoint;

import java.util.Objects;

import org.deq4j.core.DriftException;
import org.deq4j.core.InvalidConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the reversible backward does with its measured drift (the distance between the rebuilt and
 * the known initial state, in state units).
 *
 * @param threshold drift above which {@link #action} applies; positive
 * @param action    ignore, log a warning, or throw {@link org.deq4j.core.DriftException}
 */
public record DriftCheck(double threshold, Action action) {

    /** What to do when the drift exceeds the threshold. */
    public enum Action {
        IGNORE, WARN, FAIL
    }

    /** Warn above 1e-6: with a float64 state and a few steps, drift is about 1e-13. */
    public static final DriftCheck DEFAULT = new DriftCheck(1e-6, Action.WARN);

    private static final Logger LOG = LoggerFactory.getLogger(DriftCheck.class);

    public DriftCheck {
        Objects.requireNonNull(action, "action");
        if (!(threshold > 0)) {
            throw new InvalidConfigException("drift threshold must be positive, got " + threshold);
        }
    }

    /**
     * Reacts to a measured drift: nothing at or below the threshold, else the {@link #action}. A NaN
     * drift counts as above.
     *
     * @param steps the reverse steps taken, and {@code beta} the solver's relaxation, for the message
     * @throws DriftException if the action is {@link Action#FAIL} and the drift is above the threshold
     */
    public void apply(double measured, int steps, double beta) {
        if (measured > threshold || Double.isNaN(measured)) {
            switch (action) {
                case FAIL -> throw new DriftException(measured, threshold, steps, beta);
                case WARN -> LOG.warn("reversible backward drift {} exceeds {} after {} steps (beta {}):"
                        + " gradients may be inaccurate; use a float64 state or fewer steps",
                        measured, threshold, steps, beta);
                case IGNORE -> {
                }
            }
        }
    }
}
