package org.deq4j.core.diag;

import java.util.Arrays;
import java.util.OptionalDouble;

import org.deq4j.core.solver.SolverStats;

/**
 * What one solve (or one training step's solves) looked like, in a few numbers a training log can carry.
 *
 * @param meanResidual mean over samples of the final residual (in the solve's stop-mode units)
 * @param maxResidual  largest final residual
 * @param meanSteps    mean solver steps per sample
 * @param drift        the reversible backward's drift (largest deviation of the rebuilt start from the
 *                     known one, in state units), if a reversible backward ran
 */
public record SolveSummary(double meanResidual, double maxResidual, double meanSteps, OptionalDouble drift) {

    /** The summary of a solve's statistics and, if one ran, its backward pass's drift. */
    public static SolveSummary of(SolverStats stats, OptionalDouble drift) {
        return new SolveSummary(Arrays.stream(stats.finalResidual()).average().orElse(Double.NaN),
                stats.maxFinalResidual(), stats.meanSteps(), drift);
    }

    /**
     * Several DEQs' summaries as one: means averaged, maxima (residual and drift) taken.
     *
     * @throws IllegalArgumentException if {@code parts} is empty
     */
    public static SolveSummary combine(Iterable<SolveSummary> parts) {
        double residual = 0;
        double max = Double.NEGATIVE_INFINITY;
        double steps = 0;
        OptionalDouble drift = OptionalDouble.empty();
        int n = 0;
        for (SolveSummary s : parts) {
            residual += s.meanResidual;
            max = Math.max(max, s.maxResidual);
            steps += s.meanSteps;
            if (s.drift.isPresent()) {
                drift = OptionalDouble.of(Math.max(drift.orElse(0), s.drift.getAsDouble()));
            }
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException("no summaries to combine");
        }
        return new SolveSummary(residual / n, max, steps / n, drift);
    }
}
