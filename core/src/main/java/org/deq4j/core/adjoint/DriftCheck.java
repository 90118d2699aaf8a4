package org.deq4j.core.adjoint;

import java.util.Objects;

import org.deq4j.core.InvalidConfigException;

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

    public DriftCheck {
        Objects.requireNonNull(action, "action");
        if (!(threshold > 0)) {
            throw new InvalidConfigException("drift threshold must be positive, got " + threshold);
        }
    }
}
