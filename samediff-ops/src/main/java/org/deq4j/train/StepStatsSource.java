package org.deq4j.train;

import java.util.List;
import java.util.OptionalDouble;

import org.deeplearning4j.nn.api.Model;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.samediff.dl4j.DeqStatsSource;

/**
 * Per-step statistics a model can expose to the {@link Trainer} for reporting, e.g. the DEQ
 * vertices' solver work. Queried once after every training step; an empty value means "not known
 * for this step" and is reported as blank.
 */
@FunctionalInterface
public interface StepStatsSource {

    /**
     * Cell (f) evaluations performed by the last training step, forward and backward, summed over
     * the model's DEQ layers; averaged over samples when samples stop at different iterations.
     */
    OptionalDouble cellEvaluationsLastStep();

    /**
     * The solver work of a model's DEQ vertices and layers ({@link DeqStatsSource#in}): for each,
     * the cell evaluations of its most recent solve plus those of its most recent backward pass.
     * Empty while no DEQ has solved yet, and always for a model without DEQs. The trainer's default.
     */
    static StepStatsSource ofDeqLayers(Model model) {
        List<DeqStatsSource> deqs = DeqStatsSource.in(model);
        return () -> {
            double total = 0;
            boolean any = false;
            for (DeqStatsSource v : deqs) {
                if (v.lastForwardStats().isPresent()) {
                    any = true;
                    total += v.lastForwardStats().get().cellEvaluations();
                    total += v.lastBackwardStats().map(BackwardStats::cellEvaluations).orElse(0);
                }
            }
            return any ? OptionalDouble.of(total) : OptionalDouble.empty();
        };
    }
}
