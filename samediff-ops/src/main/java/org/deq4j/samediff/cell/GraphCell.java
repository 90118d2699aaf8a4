package org.deq4j.samediff.cell;

import java.util.List;
import java.util.Map;

import org.deq4j.core.cell.VariationalDropout;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * A DEQ cell {@code f(z, x; θ)} that builds its operations inside a SameDiff graph, so it can run
 * inside the RevDEQ op's while loops and be differentiated op by op.
 *
 * <p>A graph cell is a small immutable description: its {@link #type()} and {@link #config()}
 * (primitive values only) are all that is needed to recreate it through {@link GraphCells#create},
 * which is how the RevDEQ op survives SameDiff's FlatBuffers cloning and {@code SameDiff.save/load}.
 * {@link #apply} must be deterministic and treat samples independently (no batch statistics).
 */
public interface GraphCell {

    /** Registry key, e.g. "mlp" or "conv_residual"; see {@link GraphCells}. */
    String type();

    /** The configuration, as primitive values (numbers, booleans, strings), enough to recreate the cell. */
    Map<String, Object> config();

    /** The parameters θ in the order {@link #apply} takes them. */
    List<ParamSpec> parameters();

    /**
     * Shape of the state z for an injection of the given shape (both including the batch
     * dimension, which may be -1).
     */
    long[] stateShape(long[] injectionShape);

    /**
     * The shape of a locked-dropout mask for a state of shape {@code stateShape} (batch first; see
     * {@link VariationalDropout}). By default one entry per sample and channel (dimension 1),
     * broadcast over the remaining dimensions: torchdeq's {@code VariationalDropout2d} for NCHW
     * states, one entry per feature for (batch, features) states. A cell whose features are not in
     * dimension 1 overrides it.
     */
    default long[] dropoutMaskShape(long[] stateShape) {
        return VariationalDropout.channelMaskShape(stateShape);
    }

    /**
     * Builds {@code f(z, x; θ)} in {@code sd} and returns its output, shaped like {@code z}.
     *
     * @param params one variable per {@link #parameters()} entry, same order
     */
    SDVariable apply(SameDiff sd, SDVariable z, SDVariable x, List<SDVariable> params);

    /**
     * The weights that weight or spectral normalisation ({@link CellNormalisation}) re-parameterises:
     * matrices and convolution kernels whose last axis indexes the output units (SameDiff's layout for
     * {@code x·W} and for [kH, kW, in, out] kernels). By default every randomly initialised
     * ({@link ParamSpec.Init#NORMAL_FAN_IN}) parameter of rank 2 or more; biases and normalisation
     * gains and shifts are not weights. Override to exclude some, or when a weight's output axis is
     * not the last.
     */
    default List<ParamSpec> normalisableWeights() {
        return parameters().stream()
                .filter(p -> p.init() == ParamSpec.Init.NORMAL_FAN_IN && p.shape().length >= 2)
                .toList();
    }
}
