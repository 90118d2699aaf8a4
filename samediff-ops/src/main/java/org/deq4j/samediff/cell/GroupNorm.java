package org.deq4j.samediff.cell;

import org.deq4j.core.InvalidConfigException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Group normalisation of an NCHW tensor as SameDiff operations (SameDiff has no group-norm op):
 * each sample's channels are split into {@code groups} groups, each group is normalised to zero
 * mean and unit (biased) variance over its channels and positions, {@code (v - mean) / sqrt(var + eps)},
 * then scaled and shifted per channel by {@code gamma} and {@code beta}. Same definition as PyTorch's
 * {@code GroupNorm}; samples are independent (no batch statistics), so it is safe inside a DEQ cell.
 *
 * <p>The batch size and spatial size are read from the tensor at run time, so the batch dimension
 * may be dynamic. The affine parameters are taken already shaped {@code [1, C, 1, 1]}: reshaping
 * a parameter would create a parameter-only sub-expression, which SameDiff while-loop bodies do not
 * execute in M2.1.
 */
public final class GroupNorm {
    private GroupNorm() {
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
     * @param gamma    per-channel scale, shape [1, C, 1, 1]
     * @param beta     per-channel shift, shape [1, C, 1, 1]
     * @param channels C (known statically: it fixes the group shape)
     * @param groups   number of groups; must divide {@code channels}
     * @param eps      added to the variance, positive
     * @throws InvalidConfigException if {@code groups} does not divide {@code channels} or eps is not positive
     */
    public static SDVariable apply(SameDiff sd, SDVariable v, SDVariable shape, SDVariable gamma, SDVariable beta,
                                   long channels, long groups, double eps) {
        if (groups < 1 || channels % groups != 0) {
            throw new InvalidConfigException("group norm: " + groups + " groups do not divide " + channels + " channels");
        }
        if (!(eps > 0)) {
            throw new InvalidConfigException("group norm: eps must be positive, got " + eps);
        }
        SDVariable grouped = sd.reshape(v, sd.concat(0, sd.slice(shape, new int[] {0}, 1),
                sd.constant(Nd4j.createFromArray(groups, -1L).castTo(DataType.LONG))));
        SDVariable[] moments = sd.math().moments(grouped, new int[] {2}, true);
        SDVariable normed = grouped.sub(moments[0]).mul(sd.math().rsqrt(moments[1].add(eps)));
        return sd.reshape(normed, shape).mul(gamma).add(beta);
    }
}
