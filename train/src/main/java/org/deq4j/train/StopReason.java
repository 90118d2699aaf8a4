package org.deq4j.train;

/** Why {@link Trainer#fit} returned. */
public enum StopReason {
    /** The configured number of epochs has been completed. */
    EPOCHS_DONE,
    /** The plateau rule's learning-rate scale fell to its stop threshold (1e-3 by default). */
    LEARNING_RATE_FLOOR,
    /** The configured step limit was reached. */
    STEP_LIMIT,
    /** The wall-clock budget of this invocation was used up; a checkpoint allows resuming. */
    TIME_BUDGET,
    /** {@link Trainer#requestStop} was called (the command line: Ctrl-C or SIGTERM); a checkpoint allows resuming. */
    STOP_REQUESTED
}
