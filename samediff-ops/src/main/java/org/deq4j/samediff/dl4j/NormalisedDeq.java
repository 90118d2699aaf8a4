package org.deq4j.samediff.dl4j;

import java.util.OptionalDouble;

import org.deq4j.core.config.NormConfig;

/**
 * A DEQ vertex or layer at run time, as far as its cell's weight normalisation goes
 * ({@link org.deq4j.samediff.cell.CellNormalisation}): torchdeq's {@code reset_norm} and what the
 * spectral norm's power iteration has done.
 */
public interface NormalisedDeq {

    /** The normalisation, {@link NormConfig#NONE} for none. */
    NormConfig norm();

    /**
     * torchdeq's {@code reset_norm}: rebuilds the normalised weights from the stored parameters, after
     * advancing spectral norm's u and v by its power iterations if {@code training}. Every forward pass
     * does this itself (training passes with the power iterations); call it after changing parameters
     * by hand to see the new weights in {@link #sigma} before the next forward pass. No effect without
     * normalisation.
     */
    void resetNorm(boolean training);

    /**
     * The spectral-norm estimate σ = uᵀWv of the cell weight {@code weight} (the cell's parameter name,
     * e.g. "W" or "conv1_W") as of the last forward pass or {@link #resetNorm}; empty unless spectral
     * norm is on and {@code weight} is one of its weights.
     */
    OptionalDouble sigma(String weight);

    /** Training forward passes (or {@code resetNorm(true)} calls) that advanced u and v: one per training step. */
    long powerIterationSteps();
}
