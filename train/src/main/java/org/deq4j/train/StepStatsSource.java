package org.deq4j.train;

import java.util.OptionalDouble;
import java.util.function.Supplier;

/**
 * Per-step statistics a model can expose to the {@link Trainer} for reporting, e.g. the solver work
 * of its DEQ layers ({@code DeqStatsSource.lastStepCellEvaluations} in samediff-ops gives that one).
 * Queried once after every training step; an empty value means "not known for this step" and is
 * reported as blank.
 */
@FunctionalInterface
public interface StepStatsSource {

    /** A source that never knows: the trainer's default, for models without such statistics. */
    StepStatsSource NONE = OptionalDouble::empty;

    /**
     * Cell (f) evaluations performed by the last training step, forward and backward, summed over
     * the model's DEQ layers; averaged over samples when samples stop at different iterations.
     */
    OptionalDouble cellEvaluationsLastStep();

    /**
     * The regularisation term the last training step added to the loss on top of the network's
     * score, e.g. the Jacobian penalty {@code λ·R} of its DEQ layers
     * ({@code DeqStatsSource.lastStepJacobianPenalty}); empty when it added none. The default
     * knows none.
     */
    default OptionalDouble jacobianPenaltyLastStep() {
        return OptionalDouble.empty();
    }

    /** A source of both statistics from two suppliers. */
    static StepStatsSource of(Supplier<OptionalDouble> cellEvaluations, Supplier<OptionalDouble> jacobianPenalty) {
        return new StepStatsSource() {
            @Override
            public OptionalDouble cellEvaluationsLastStep() {
                return cellEvaluations.get();
            }

            @Override
            public OptionalDouble jacobianPenaltyLastStep() {
                return jacobianPenalty.get();
            }
        };
    }
}
