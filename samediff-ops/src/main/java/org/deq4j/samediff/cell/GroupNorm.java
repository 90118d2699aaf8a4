package org.deq4j.samediff.cell;

import org.deq4j.core.InvalidConfigException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Group normalisation of an NCHW tensor as SameDiff operations (SameDiff has no group-norm op):
 * each sample's channels are split into {@code groups} groups, each group is normalised to zero
 * mean and unit (biased) variance over its channels and positions, {@code (v - mean) / sqrt(var + eps)},
 * then scaled and shifted per channel by {@code gamma} and {@code beta}. Same definition as PyTorch's
 * {@code GroupNorm}; samples are independent (no batch statistics), so it is safe inside a DEQ cell.
 *
 * <p>For speed the normalisation and the affine map are fused into one per-(sample, channel) scale
 * and shift, {@code v·a + b} with {@code a = gamma/sqrt(var + eps)} and {@code b = beta - mean·a}, so
 * the full-size tensor passes through only two broadcast operations (and their two backward
 * operations) besides the moments. This is why the affine parameters are shaped
 * {@code [1, groups, C/groups, 1]} (PyTorch's {@code [C]} weight reshaped in C order): they broadcast
 * directly against the grouped view {@code [N, groups, C/groups, H·W]}, and no parameter has to be
 * reshaped inside the graph (a parameter-only sub-expression, which SameDiff while-loop bodies do
 * not execute in M2.1). The batch and spatial sizes are read at run time, so the batch may be dynamic.
 */
public final class GroupNorm {
    private GroupNorm() {
    }

    /** The shape of the affine parameters: [1, groups, channels/groups, 1]. */
    public static long[] affineShape(long channels, long groups) {
        requireDivides(channels, groups);
        return new long[] {1, groups, channels / groups, 1};
    }

    /**
     * Builds {@code GN(v)} in {@code sd}, reading v's shape from {@code v} itself.
     *
     * @see #apply(SameDiff, SDVariable, SDVariable, SDVariable, SDVariable, long, long, double)
     */
    public static SDVariable apply(SameDiff sd, SDVariable v, SDVariable gamma, SDVariable beta,
                                   long channels, long groups, double eps) {
        return apply(sd, v, sd.shape(v), gamma, beta, channels, groups, eps);
    }

    /**
     * Builds {@code GN(v)} in {@code sd}, given v's run-time shape. Passing a shape computed once
     * (e.g. from a cell's state, which has the same batch and spatial size) saves work in the
     * backward pass: the gradient of {@code shape_of(v)} is a tensor of zeros added to v's gradient.
     *
     * @param v        input, shape [N, C, H, W]
     * @param shape    v's shape as an int64 vector [N, C, H, W]
     * @param gamma    per-channel scale, shape {@link #affineShape} [1, groups, C/groups, 1]
     * @param beta     per-channel shift, same shape
     * @param channels C (known statically: it fixes the group shape)
     * @param groups   number of groups; must divide {@code channels}
     * @param eps      added to the variance, positive
     * @throws InvalidConfigException if {@code groups} does not divide {@code channels} or eps is not positive
     */
    public static SDVariable apply(SameDiff sd, SDVariable v, SDVariable shape, SDVariable gamma, SDVariable beta,
                                   long channels, long groups, double eps) {
        requireDivides(channels, groups);
        if (!(eps > 0)) {
            throw new InvalidConfigException("group norm: eps must be positive, got " + eps);
        }
        SDVariable grouped = sd.reshape(v, sd.concat(0, sd.slice(shape, new int[] {0}, 1),
                sd.constant(Nd4j.createFromArray(groups, channels / groups, -1L))));
        SDVariable[] moments = sd.math().moments(grouped, new int[] {2, 3}, true);
        SDVariable scale = sd.math().rsqrt(moments[1].add(eps)).mul(gamma);
        SDVariable shift = beta.sub(moments[0].mul(scale));
        return sd.reshape(grouped.mul(scale).add(shift), shape);
    }

    private static void requireDivides(long channels, long groups) {
        if (groups < 1 || channels % groups != 0) {
            throw new InvalidConfigException("group norm: " + groups + " groups do not divide " + channels + " channels");
        }
    }
}
