package org.deq4j.zoo.model;

import java.util.Map;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.samediff.cell.GroupNorm;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DL4J layer for group normalisation of NCHW activations (DL4J 1.0.0-M2.1 has none): PyTorch's
 * {@code GroupNorm(groups, channels, eps)} with a per-channel affine scale {@code gamma} (initialised
 * to 1) and shift {@code beta} (initialised to 0), computed by {@link GroupNorm} as SameDiff
 * operations. Samples are normalised independently, so training and inference agree.
 *
 * <p>The parameters are DL4J bias parameters of shape {@link GroupNorm#affineShape}
 * [1, groups, channels/groups, 1] (so weight regularisation skips them, as for batch norm's).
 * Serialises with the network's JSON (fields {@code channels}, {@code groups}, {@code eps}).
 *
 * <p>Failure modes: {@link InvalidConfigException} when {@code groups} does not divide the channels
 * or eps is not positive, and when the input is not convolutional with {@code channels} channels.
 */
public class GroupNormLayer extends SameDiffLayer {
    private static final long serialVersionUID = 1L;
    static final String GAMMA = "gamma";
    static final String BETA = "beta";

    private long channels;
    private long groups;
    private double eps;

    /** For JSON deserialisation only. */
    protected GroupNormLayer() {
    }

    /**
     * @param channels C, channels of the input
     * @param groups   number of groups; must divide {@code channels}
     * @param eps      variance epsilon, positive (PyTorch's default is 1e-5)
     * @throws InvalidConfigException for a bad combination
     */
    public GroupNormLayer(long channels, long groups, double eps) {
        if (channels < 1 || groups < 1 || channels % groups != 0) {
            throw new InvalidConfigException("group norm layer: " + groups + " groups do not divide " + channels
                    + " channels");
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new InvalidConfigException("group norm layer: eps must be positive and finite, got " + eps);
        }
        this.channels = channels;
        this.groups = groups;
        this.eps = eps;
    }

    public long getChannels() {
        return channels;
    }

    public long getGroups() {
        return groups;
    }

    public double getEps() {
        return eps;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable layerInput, Map<String, SDVariable> paramTable,
                                  SDVariable mask) {
        return GroupNorm.apply(sd, layerInput, paramTable.get(GAMMA), paramTable.get(BETA), channels, groups, eps);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        long[] shape = GroupNorm.affineShape(channels, groups);
        params.addBiasParam(GAMMA, shape);
        params.addBiasParam(BETA, shape);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        params.get(GAMMA).assign(1.0);
        params.get(BETA).assign(0.0);
    }

    /** The input type itself. @throws InvalidConfigException unless it is convolutional with C channels */
    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c) || c.getChannels() != channels) {
            throw new InvalidConfigException("group norm layer over " + channels + " channels needs a convolutional"
                    + " (NCHW) input with that many channels, got " + inputType);
        }
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        getOutputType(-1, inputType);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupNormLayer g && g.channels == channels && g.groups == groups
                && Double.compare(g.eps, eps) == 0 && super.equals(o);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(channels, groups, eps);
    }
}
