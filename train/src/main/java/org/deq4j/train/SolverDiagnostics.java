package org.deq4j.train;

import java.util.Optional;
import java.util.OptionalDouble;

import org.deq4j.core.diag.SolveSummary;

/**
 * The DEQ solver columns of a {@link MetricRow}. On a training row: the step's solves; on an evaluation
 * row: the means over the epoch's training steps (the largest residual: the epoch's largest) and the
 * spectral radius at the fixed points of a fixed evaluation batch. Unknown values are NaN (blank in the
 * CSV): every value for a model without DEQs, the drift without a reversible backward, the spectral
 * radius on training rows.
 *
 * @param residualMean   mean final residual per sample (the solve's stop-mode units)
 * @param residualMax    largest final residual
 * @param stepsMean      mean solver steps per sample
 * @param drift          drift of the reversible backward (state units)
 * @param spectralRadius estimate of ρ(∂f/∂z) at the fixed point, mean over samples (dimensionless)
 */
public record SolverDiagnostics(double residualMean, double residualMax, double stepsMean, double drift,
        double spectralRadius) {

    /** Nothing known. */
    public static final SolverDiagnostics NONE = new SolverDiagnostics(Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN);

    /** The columns of one training step's summary, if any. */
    static SolverDiagnostics of(Optional<SolveSummary> step) {
        return step.map(s -> new SolverDiagnostics(s.meanResidual(), s.maxResidual(), s.meanSteps(),
                s.drift().orElse(Double.NaN), Double.NaN)).orElse(NONE);
    }

    /**
     * An epoch's columns from its training rows: means of the means, largest residual, and the given
     * spectral radius.
     */
    static SolverDiagnostics epoch(Iterable<MetricRow> trainRows, OptionalDouble spectralRadius) {
        Mean residual = new Mean();
        Mean steps = new Mean();
        Mean drift = new Mean();
        double max = Double.NaN;
        for (MetricRow r : trainRows) {
            SolverDiagnostics d = r.solver();
            residual.add(d.residualMean);
            steps.add(d.stepsMean);
            drift.add(d.drift);
            if (!Double.isNaN(d.residualMax)) {
                max = Double.isNaN(max) ? d.residualMax : Math.max(max, d.residualMax);
            }
        }
        return new SolverDiagnostics(residual.value(), max, steps.value(), drift.value(),
                spectralRadius.orElse(Double.NaN));
    }

    /** Whether any column is known. */
    boolean isKnown() {
        return !(Double.isNaN(residualMean) && Double.isNaN(residualMax) && Double.isNaN(stepsMean)
                && Double.isNaN(drift) && Double.isNaN(spectralRadius));
    }

    /** A mean that skips NaN. */
    private static final class Mean {
        private double sum;
        private int n;

        void add(double v) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }

        double value() {
            return n == 0 ? Double.NaN : sum / n;
        }
    }
}
