package org.deq4j.train;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

import org.deq4j.core.diag.DeqMonitor;
import org.deq4j.core.diag.SolveSummary;

/**
 * Per-step statistics a model can expose to the {@link Trainer} for reporting: a {@link DeqMonitor} (the
 * solver work, residuals and drift of its DEQ layers, and the spectral radius at the end of each epoch;
 * {@code StepStatsSource.of(DeqStatsSource.monitor(graph))} with samediff-ops' DEQ vertices). Queried once
 * after every training step; an empty value means "not known for this step" and is reported as blank.
 * A lambda gives the cell evaluations alone.
 */
@FunctionalInterface
public interface StepStatsSource extends DeqMonitor {

    /** A source that never knows: the trainer's default, for models without such statistics. */
    StepStatsSource NONE = OptionalDouble::empty;

    /**
     * Cell (f) evaluations performed by the last training step, forward and backward, summed over
     * the model's DEQ layers; averaged over samples when samples stop at different iterations.
     */
    @Override
    OptionalDouble cellEvaluationsLastStep();

    /** A source reporting everything {@code monitor} reports. */
    static StepStatsSource of(DeqMonitor monitor) {
        Objects.requireNonNull(monitor, "monitor");
        return new StepStatsSource() {
            @Override
            public OptionalDouble cellEvaluationsLastStep() {
                return monitor.cellEvaluationsLastStep();
            }

            @Override
            public OptionalDouble jacobianPenaltyLastStep() {
                return monitor.jacobianPenaltyLastStep();
            }

            @Override
            public Optional<SolveSummary> lastStep() {
                return monitor.lastStep();
            }

            @Override
            public OptionalDouble spectralRadius(Runnable inference, int samples, int iterations) {
                return monitor.spectralRadius(inference, samples, iterations);
            }
        };
    }
}
