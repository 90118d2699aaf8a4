package org.deq4j.train;

import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * Outcome of {@link Trainer#fit}.
 *
 * @param reason         why training stopped
 * @param steps          total steps completed (over all sessions)
 * @param epochs         total epochs completed
 * @param learningRate   learning rate in use at the end
 * @param lastEvaluation the metric of the most recent end-of-epoch evaluation, if any
 * @param checkpoint     the checkpoint written at the end
 */
public record TrainingResult(StopReason reason, long steps, int epochs, double learningRate,
        OptionalDouble lastEvaluation, Path checkpoint) {
}
