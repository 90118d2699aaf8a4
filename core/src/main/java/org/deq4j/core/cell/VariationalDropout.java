package org.deq4j.core.cell;

import java.util.Arrays;

import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Variational (locked) dropout for DEQ cells, after torchdeq's {@code torchdeq.dropout}: one mask is
 * drawn per training step ({@link #sample}, torchdeq's {@code reset_dropout}) and every cell
 * evaluation of that step uses it, in every solver iteration and in the backward pass, so the
 * iteration keeps one fixed point and the reversible backward rebuilds the same trajectory. Each mask
 * entry is 0 with probability {@code rate} and {@code 1/(1-rate)} otherwise, so the masked state keeps
 * its expected value. At evaluation no mask is applied at all.
 *
 * <p>Mask shapes. {@link #channelMaskShape} gives torchdeq's {@code VariationalDropout2d} layout for
 * channel-first states: one entry per sample and channel (dimension 1), broadcast over the remaining
 * dimensions, so a whole feature map is dropped; for a (batch, features) state that is one entry per
 * sample and feature ({@code VariationalDropout}). A cell may choose another layout (a token-first
 * sequence state drops features, broadcast over the tokens: {@code VariationalDropout1d}).
 *
 * @param rate the probability of dropping an entry, in [0, 1); 0 is off
 */
public record VariationalDropout(double rate) {
    /** No dropout. */
    public static final VariationalDropout OFF = new VariationalDropout(0);

    /** @throws InvalidConfigException unless {@code 0 <= rate < 1} */
    public VariationalDropout {
        if (!(rate >= 0 && rate < 1)) {
            throw new InvalidConfigException("dropout rate must be in [0, 1) (0 turns dropout off), got " + rate);
        }
    }

    /** Whether masks are applied at all (rate above 0). */
    public boolean isOn() {
        return rate > 0;
    }

    /** The factor {@code 1/(1-rate)} of the kept entries. */
    public double scale() {
        return 1 / (1 - rate);
    }

    /**
     * A new mask of the given shape and type (see {@link #sampleInto}).
     *
     * @throws InvalidConfigException if the type is not floating point or a dimension is not positive
     */
    public INDArray sample(DataType type, long... shape) {
        if (!type.isFPType()) {
            throw new InvalidConfigException("a dropout mask needs a floating-point type, got " + type);
        }
        for (long d : shape) {
            if (d < 1) {
                throw new InvalidConfigException("dropout mask shape " + Arrays.toString(shape)
                        + " has a dimension below 1");
            }
        }
        return sampleInto(Nd4j.createUninitialized(type, shape));
    }

    /**
     * Draws a fresh mask into {@code mask}, in place, from ND4J's random generator
     * ({@code Nd4j.getRandom()}, which deq4j's trainer seeds per step, so masks are reproducible
     * and identical after a resume). Returns {@code mask}.
     */
    public INDArray sampleInto(INDArray mask) {
        if (!isOn()) {
            return mask.assign(1.0);
        }
        Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, 1 - rate), Nd4j.getRandom());
        return mask.muli(scale());
    }

    /**
     * The mask shape for a channel-first state of shape {@code stateShape} (batch first): the batch
     * and channel dimensions kept, every further dimension 1.
     *
     * @throws InvalidConfigException if the state has fewer than two dimensions
     */
    public static long[] channelMaskShape(long[] stateShape) {
        if (stateShape.length < 2) {
            throw new InvalidConfigException("locked dropout needs a state with a batch and a feature dimension, got"
                    + " shape " + Arrays.toString(stateShape));
        }
        long[] shape = new long[stateShape.length];
        Arrays.fill(shape, 1);
        shape[0] = stateShape[0];
        shape[1] = stateShape[1];
        return shape;
    }
}
