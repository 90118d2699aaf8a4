package org.deq4j.core;

/**
 * The reversible backward pass rebuilt an initial state farther from the known one than the
 * configured threshold allows: floating-point error, amplified by 1/|1-β| per inverted step, has
 * made the rebuilt trajectory (and hence the gradient) unreliable. Use a float64 state, fewer
 * steps, or β farther from 1.
 */
public class DriftException extends DeqException {
    private static final long serialVersionUID = 1L;
    private final double drift;

    public DriftException(double drift, double threshold, int steps, double beta) {
        super(String.format("reversible backward drift %.3e exceeds the threshold %.3e (%d steps, beta %s):"
                + " use a float64 state dtype, fewer steps, or beta farther from 1", drift, threshold, steps, beta));
        this.drift = drift;
    }

    /** The measured drift: the largest absolute difference between the rebuilt and the known z0. */
    public double drift() {
        return drift;
    }
}
