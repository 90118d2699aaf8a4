package org.deq4j.core.solver;

import java.util.Objects;

import org.deq4j.core.InvalidConfigException;

/**
 * When a solve ends: each sample stops (and is frozen) once its residual is at most {@code tol},
 * and every sample stops after {@code maxSteps} solver steps.
 *
 * @param maxSteps step budget, at least 1
 * @param tol      residual tolerance, positive and finite (in the units of {@code mode})
 * @param mode     absolute or relative residual
 */
public record StopCriterion(int maxSteps, double tol, StopMode mode) {
    public StopCriterion {
        Objects.requireNonNull(mode, "mode");
        if (maxSteps < 1) {
            throw new InvalidConfigException("max steps must be at least 1, got " + maxSteps);
        }
        if (!(tol > 0) || Double.isInfinite(tol)) {
            throw new InvalidConfigException("tolerance must be positive and finite, got " + tol);
        }
    }

    /** A fixed budget of {@code steps} steps with a relative tolerance of {@code tol}. */
    public static StopCriterion of(int steps, double tol) {
        return new StopCriterion(steps, tol, StopMode.RELATIVE);
    }
}
