package org.deq4j.core.diag;

import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What a model's DEQ layers tell a training loop about their solves, with no dependency on the layer
 * kind: the DL4J vertices and layers of {@code deq4j-samediff-ops} provide one
 * ({@code DeqStatsSource.monitor(model)}), and {@code deq4j-train}'s trainer reads it after every step
 * and at the end of every epoch. Only {@link #cellEvaluationsLastStep()} is required; a monitor without
 * the other statistics reports them as empty, which a log shows as blank.
 */
@FunctionalInterface
public interface DeqMonitor {

    /**
     * Cell (f) evaluations performed by the last training step, forward and backward, summed over the
     * model's DEQ layers; empty if not known (no DEQ has solved yet, or the model has none).
     */
    OptionalDouble cellEvaluationsLastStep();

    /**
     * The regularisation term the last training step added to the loss on top of the network's score:
     * the Jacobian penalty {@code λ·R} of its DEQ layers, summed; empty when it added none.
     */
    default OptionalDouble jacobianPenaltyLastStep() {
        return OptionalDouble.empty();
    }

    /** Residuals, steps and drift of the last training step's solves, combined over the model's DEQs. */
    default Optional<SolveSummary> lastStep() {
        return Optional.empty();
    }

    /**
     * The mean over samples (and DEQs) of the spectral radius ρ(∂f/∂z) at the fixed points of the first
     * solve of the inference pass {@code inference} ({@link SpectralRadius}); the pass runs once (a whole
     * evaluation, say), the first solve's fixed points are captured, and the estimate costs
     * {@code iterations} cell VJPs on {@code samples} samples per DEQ on top of it.
     *
     * @param inference  runs the model in inference mode
     * @param samples    samples of the first solve's batch to estimate on (the cost grows with them)
     * @param iterations power iterations, at least 2
     * @return empty if no DEQ solved during {@code inference}, and always for a monitor without the
     *         estimate (which need not run {@code inference} at all)
     */
    default OptionalDouble spectralRadius(Runnable inference, int samples, int iterations) {
        return OptionalDouble.empty();
    }
}
