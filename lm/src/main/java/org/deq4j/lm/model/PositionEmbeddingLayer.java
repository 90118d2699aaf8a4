package org.deq4j.lm.model;

import java.util.Map;
import java.util.SplittableRandom;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deq4j.core.InvalidConfigException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adds a learned position embedding {@code P} [contextLength, dModel] to a sequence in DL4J's NWC
 * layout [batch, T, dModel]: {@code out[b, t, :] = in[b, t, :] + P[t, :]}. DL4J has no such layer; this
 * is a {@link SameDiffLayer} (its gradient is SameDiff's broadcast-add backward). {@code P} is a weight
 * parameter (weight decay applies), initialised normal with standard deviation {@link #INIT_STD} from
 * {@code seed}.
 *
 * <p>Failure modes: {@link InvalidConfigException} for non-positive sizes or an input type that is not
 * recurrent NWC of the configured size and length.
 */
public class PositionEmbeddingLayer extends SameDiffLayer {
    private static final long serialVersionUID = 1L;
    /** Parameter name. */
    public static final String PARAM = "P";
    /** Standard deviation of the initial values (GPT-2 uses 0.01 to 0.02 for its embeddings). */
    public static final double INIT_STD = 0.02;

    private int contextLength;
    private int dModel;
    private long seed;

    /** For JSON deserialisation. */
    protected PositionEmbeddingLayer() {
    }

    /** @throws InvalidConfigException if a size is not positive */
    public PositionEmbeddingLayer(int contextLength, int dModel, long seed) {
        if (contextLength < 1 || dModel < 1) {
            throw new InvalidConfigException("position embedding needs positive sizes, got contextLength "
                    + contextLength + ", dModel " + dModel);
        }
        this.contextLength = contextLength;
        this.dModel = dModel;
        this.seed = seed;
    }

    public int getContextLength() {
        return contextLength;
    }

    public void setContextLength(int contextLength) {
        this.contextLength = contextLength;
    }

    public int getDModel() {
        return dModel;
    }

    public void setDModel(int dModel) {
        this.dModel = dModel;
    }

    public long getSeed() {
        return seed;
    }

    public void setSeed(long seed) {
        this.seed = seed;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable layerInput, Map<String, SDVariable> paramTable, SDVariable mask) {
        return layerInput.add(paramTable.get(PARAM));
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(PARAM, contextLength, dModel);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        INDArray p = params.get(PARAM);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] values = new double[contextLength * dModel];
        for (int i = 0; i < values.length; i++) {
            values[i] = INIT_STD * rng.nextGaussian();
        }
        p.assign(Nd4j.createFromArray(values).reshape(contextLength, dModel).castTo(p.dataType()));
    }

    /** @throws InvalidConfigException unless the input is recurrent NWC [T = contextLength, dModel] */
    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeRecurrent r) || r.getFormat() != RNNFormat.NWC
                || r.getSize() != dModel || r.getTimeSeriesLength() != contextLength) {
            throw new InvalidConfigException("position embedding expects recurrent NWC input of size " + dModel
                    + " and length " + contextLength + ", got " + inputType);
        }
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        // sizes are fixed by the constructor
    }
}
