package org.deq4j.train;

import java.time.Duration;
import java.util.Objects;

import org.deq4j.core.InvalidConfigException;

/**
 * How often the {@link Trainer} writes a checkpoint between the ones at the end of every epoch and at
 * the stop, so that a run killed in the middle of a long epoch loses at most one interval.
 */
public sealed interface CheckpointInterval {

    /** Whether a checkpoint is due, {@code steps} training steps and {@code elapsed} after the last one. */
    boolean due(long steps, Duration elapsed);

    /**
     * Every {@code steps} training steps.
     *
     * @throws InvalidConfigException if {@code steps < 1}
     */
    static CheckpointInterval steps(long steps) {
        return new Steps(steps);
    }

    /**
     * Every {@code period} of wall-clock time, checked after each step.
     *
     * @throws InvalidConfigException if the period is not positive
     */
    static CheckpointInterval time(Duration period) {
        return new Time(period);
    }

    /** @param steps training steps between checkpoints, at least 1 */
    record Steps(long steps) implements CheckpointInterval {
        public Steps {
            if (steps < 1) {
                throw new InvalidConfigException("checkpoint interval must be at least 1 step, got " + steps);
            }
        }

        @Override
        public boolean due(long stepsSince, Duration elapsed) {
            return stepsSince >= steps;
        }
    }

    /** @param period wall-clock time between checkpoints, positive */
    record Time(Duration period) implements CheckpointInterval {
        public Time {
            Objects.requireNonNull(period, "period");
            if (period.isNegative() || period.isZero()) {
                throw new InvalidConfigException("checkpoint interval must be positive, got " + period);
            }
        }

        @Override
        public boolean due(long stepsSince, Duration elapsed) {
            return stepsSince > 0 && elapsed.compareTo(period) >= 0;
        }
    }
}
