package org.deq4j.core;

/**
 * The solver state, or a gradient, became NaN or infinite. The message names the phase, the
 * solver step (1-based; 0 is the initial evaluation) and the first offending sample of the batch.
 */
public class DivergenceException extends DeqException {
    private static final long serialVersionUID = 1L;
    private final int step;
    private final long sample;

    public DivergenceException(String phase, int step, long sample) {
        super(phase + ": non-finite value (NaN or Inf) at step " + step + " in sample " + sample
                + "; lower the learning rate or β, check the cell for exploding activations,"
                + " or use a contractive cell (e.g. weight normalisation)");
        this.step = step;
        this.sample = sample;
    }

    /** The solver step at which the non-finite value appeared; 0 is the initial evaluation. */
    public int step() {
        return step;
    }

    /** The index in the batch of the first sample with a non-finite value. */
    public long sample() {
        return sample;
    }
}
