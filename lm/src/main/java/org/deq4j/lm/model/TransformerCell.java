package org.deq4j.lm.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.samediff.cell.CellConfig;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.GraphCellType;
import org.deq4j.samediff.cell.GraphCells;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The RevDEQ paper's DEQ-transformer cell: one pre-LayerNorm GPT-2 block whose state {@code z} and
 * injection {@code x} (token plus position embedding) are both shaped [batch, T, dModel]:
 * <pre>
 *   u      = z + CausalSelfAttention(LN1(z + x))
 *   f(z,x) = u + MLP(LN2(u))
 * </pre>
 * <ul>
 * <li>LayerNorm over the model dimension, {@code (h - mean) / sqrt(var + eps) · gamma + beta}, biased
 *     variance (as PyTorch's {@code nn.LayerNorm}). It is composed of elementary ops because the native
 *     {@code layer_norm} of ND4J M2.1 has no epsilon.</li>
 * <li>Causal multi-head self-attention with {@code heads} heads of {@code dModel / heads}: query, key
 *     and value projections (GPT-2's {@code c_attn} split in three matrices, same parameter count),
 *     scores scaled by {@code 1/sqrt(dModel / heads)}, a constant mask adding {@value #MASKED_SCORE} above
 *     the diagonal before the softmax (so a position never sees a later one: masked weights are exactly
 *     zero), and an output projection.</li>
 * <li>MLP {@code dModel → mlpHidden → dModel} with GELU, or with {@code twoHiddenLayers}
 *     {@code dModel → mlpHidden → mlpHidden → dModel} with a GELU after each hidden layer (the paper's
 *     768→3072→3072→768). GELU is GPT-2's tanh form {@code 0.5·h·(1 + tanh(sqrt(2/π)(h + 0.044715h³)))}.</li>
 * <li>Every linear map has a bias, as in GPT-2. No dropout inside: the cell is deterministic, as the
 *     reversible backward requires; the DEQ layer's locked dropout masks the state entering the cell
 *     with one mask per training step ({@link #dropoutMaskShape}).</li>
 * </ul>
 * The batch dimension is dynamic; the sequence length T is fixed to {@code contextLength} (the mask is a
 * T×T constant). Shorter sequences can be right-padded: by causality, padding never changes the outputs
 * at earlier positions.
 *
 * <p>Parameters, in {@link #apply} order (weights [in, out], everything else a vector, so LayerNorm
 * gains and biases broadcast without any parameter-only reshaping inside the graph):
 * {@code ln1Gamma, ln1Beta} [d], {@code attnWq, attnWk, attnWv, attnWo} [d, d] each followed by its
 * bias [d] ({@code attnBq} ...), {@code ln2Gamma, ln2Beta} [d], {@code mlpW1} [d, h], {@code mlpB1} [h],
 * with two hidden layers {@code mlpW2} [h, h], {@code mlpB2} [h], then {@code mlpWout} [h, d],
 * {@code mlpBout} [d].
 *
 * <p>Graph. Built from ops that all have gradients in SameDiff M2.1 ({@code reshape, permute, add, subtract,
 * multiply, reduce_mean, rsqrt, xw_plus_b, matmul, softmax, sigmoid} and scalar ops); no sub-expression
 * depends on parameters or on {@code x} alone, so the cell can sit inside a while-loop body with the
 * parameters and the injection as outer values. The only constant is the causal mask.
 *
 * @param dModel          model width d, at least 1 and divisible by {@code heads}
 * @param heads           attention heads, at least 1
 * @param mlpHidden       width h of the MLP's hidden layer(s), at least 1
 * @param contextLength   sequence length T, at least 1
 * @param eps             LayerNorm variance epsilon, positive and finite (PyTorch's default is 1e-5)
 * @param twoHiddenLayers whether the MLP has two hidden layers (the paper) rather than one (GPT-2)
 */
public record TransformerCell(int dModel, int heads, int mlpHidden, int contextLength, double eps,
        boolean twoHiddenLayers) implements GraphCell {

    /** Registry key. */
    public static final String TYPE = "transformer";
    /** PyTorch's {@code nn.LayerNorm} epsilon, used by the paper. */
    public static final double DEFAULT_EPS = 1e-5;
    /**
     * What the causal mask adds to a score above the diagonal: large enough that its exponential
     * underflows to exactly 0 in float32 and float64 whatever the real scores are, finite so no
     * infinity reaches the softmax's backward pass.
     */
    public static final double MASKED_SCORE = -1e9;

    private static final double GELU_C = Math.sqrt(2 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    static {
        register();
    }

    /** @throws InvalidConfigException if a size is not positive, heads do not divide dModel, or eps is not positive */
    public TransformerCell {
        if (dModel < 1 || heads < 1 || mlpHidden < 1 || contextLength < 1) {
            throw new InvalidConfigException("transformer cell needs positive sizes, got dModel " + dModel + ", heads "
                    + heads + ", mlpHidden " + mlpHidden + ", contextLength " + contextLength);
        }
        if (dModel % heads != 0) {
            throw new InvalidConfigException("transformer cell: " + heads + " heads do not divide dModel " + dModel);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new InvalidConfigException("transformer cell: LayerNorm eps must be positive and finite, got " + eps);
        }
    }

    /**
     * Makes sure the type is registered in {@link GraphCells} (the class's static initialiser does it;
     * calling this forces the class to load before a graph containing the cell is loaded). Idempotent.
     */
    public static void register() {
        GraphCells.register(TYPE, TransformerCell::fromConfig);
    }

    /** This cell as a {@link GraphCellType} service (listed in META-INF/services). */
    public static final class Type extends GraphCellType.Of {
        public Type() {
            super(TYPE, TransformerCell::fromConfig);
        }
    }

    /**
     * Recreates a cell from {@link #config()}. Numbers may come back as any {@link Number} or numeric
     * string and booleans as strings (as after a serialisation round trip).
     *
     * @throws InvalidConfigException if a key is missing or has the wrong kind of value
     */
    public static TransformerCell fromConfig(Map<String, Object> config) {
        CellConfig c = new CellConfig("transformer cell", config);
        return new TransformerCell(c.integer("dModel"), c.integer("heads"), c.integer("mlpHidden"),
                c.integer("contextLength"), c.number("eps").doubleValue(), c.bool("twoHiddenLayers"));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dModel", dModel);
        m.put("heads", heads);
        m.put("mlpHidden", mlpHidden);
        m.put("contextLength", contextLength);
        m.put("eps", eps);
        m.put("twoHiddenLayers", twoHiddenLayers);
        return m;
    }

    /** Width of one attention head, dModel / heads. */
    public int headDim() {
        return dModel / heads;
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> p = new ArrayList<>();
        addNorm(p, "ln1");
        for (String proj : List.of("q", "k", "v", "o")) {
            addLinear(p, "attnW" + proj, "attnB" + proj, dModel, dModel);
        }
        addNorm(p, "ln2");
        addLinear(p, "mlpW1", "mlpB1", dModel, mlpHidden);
        if (twoHiddenLayers) {
            addLinear(p, "mlpW2", "mlpB2", mlpHidden, mlpHidden);
        }
        addLinear(p, "mlpWout", "mlpBout", mlpHidden, dModel);
        return List.copyOf(p);
    }

    /** Number of scalar parameters, computed from {@link #parameters()}. */
    public long parameterCount() {
        return parameters().stream().mapToLong(s -> Arrays.stream(s.shape()).reduce(1, Math::multiplyExact)).sum();
    }

    /**
     * The state has the injection's shape.
     *
     * @throws ShapeMismatchException unless the shape is [batch, contextLength, dModel] (batch may be -1)
     */
    @Override
    public long[] stateShape(long[] injectionShape) {
        if (injectionShape.length != 3 || injectionShape[1] != contextLength || injectionShape[2] != dModel) {
            throw new ShapeMismatchException("transformer cell expects injections shaped [batch, " + contextLength + ", "
                    + dModel + "], got " + Arrays.toString(injectionShape));
        }
        return injectionShape.clone();
    }

    /**
     * The state is token-first ([batch, T, d]): one mask entry per sample and feature, shared by every
     * token (torchdeq's {@code VariationalDropout1d} with {@code token_first}), so a dropped feature is
     * dropped along the whole sequence.
     */
    @Override
    public long[] dropoutMaskShape(long[] stateShape) {
        return new long[] {stateShape[0], 1, stateShape[2]};
    }

    @Override
    public SDVariable apply(SameDiff sd, SDVariable z, SDVariable x, List<SDVariable> params) {
        List<ParamSpec> specs = parameters();
        if (params.size() != specs.size()) {
            throw new InvalidConfigException("transformer cell takes " + specs.size() + " parameters " + specs
                    + " but got " + params.size());
        }
        Map<String, SDVariable> p = new LinkedHashMap<>();
        for (int i = 0; i < specs.size(); i++) {
            p.put(specs.get(i).name(), params.get(i));
        }
        // All token-wise maps run on [batch·T, d]; only the attention scores need the sequence axis.
        // x is used only in z + x: inside a RevDEQ while-loop body x is an outer value, and M2.1 silently
        // drops sub-expressions of outer values alone (such as a reshape of x).
        SDVariable zf = sd.reshape(z, -1, dModel);
        SDVariable h = layerNorm(sd, sd.reshape(z.add(x), -1, dModel), p.get("ln1Gamma"), p.get("ln1Beta"));
        SDVariable u = zf.add(attention(sd, h, p));
        SDVariable m = layerNorm(sd, u, p.get("ln2Gamma"), p.get("ln2Beta"));
        m = gelu(sd, sd.nn().linear(m, p.get("mlpW1"), p.get("mlpB1")));
        if (twoHiddenLayers) {
            m = gelu(sd, sd.nn().linear(m, p.get("mlpW2"), p.get("mlpB2")));
        }
        m = sd.nn().linear(m, p.get("mlpWout"), p.get("mlpBout"));
        return sd.reshape(u.add(m), -1, contextLength, dModel);
    }

    /** Causal multi-head self-attention of {@code h} [batch·T, d], output [batch·T, d]. */
    private SDVariable attention(SameDiff sd, SDVariable h, Map<String, SDVariable> p) {
        // The 1/sqrt(headDim) scale goes on q, which is smaller than the T×T scores when T > headDim.
        SDVariable q = splitHeads(sd,
                sd.nn().linear(h, p.get("attnWq"), p.get("attnBq")).mul(1.0 / Math.sqrt(headDim())));
        SDVariable k = splitHeads(sd, sd.nn().linear(h, p.get("attnWk"), p.get("attnBk")));
        SDVariable v = splitHeads(sd, sd.nn().linear(h, p.get("attnWv"), p.get("attnBv")));
        SDVariable scores = sd.mmul(q, k, false, true, false).add(sd.constant(causalMask().castTo(h.dataType())));
        SDVariable weights = sd.nn().softmax(scores, 3);
        SDVariable perHead = sd.mmul(weights, v);                                     // [batch, H, T, hd]
        SDVariable merged = sd.reshape(sd.permute(perHead, 0, 2, 1, 3), -1, dModel);  // [batch·T, d]
        return sd.nn().linear(merged, p.get("attnWo"), p.get("attnBo"));
    }

    /** [batch·T, d] to [batch, H, T, headDim]. */
    private SDVariable splitHeads(SameDiff sd, SDVariable t) {
        return sd.permute(sd.reshape(t, -1, contextLength, heads, headDim()), 0, 2, 1, 3);
    }

    /** T×T, 0 on and below the diagonal, {@link #MASKED_SCORE} above. */
    private INDArray causalMask() {
        double[][] mask = new double[contextLength][contextLength];
        for (int i = 0; i < contextLength; i++) {
            for (int j = i + 1; j < contextLength; j++) {
                mask[i][j] = MASKED_SCORE;
            }
        }
        return Nd4j.create(mask);
    }

    private SDVariable layerNorm(SameDiff sd, SDVariable h, SDVariable gamma, SDVariable beta) {
        SDVariable centred = h.sub(h.mean(true, 1));
        SDVariable variance = centred.mul(centred).mean(true, 1);
        return centred.mul(sd.math().rsqrt(variance.add(eps))).mul(gamma).add(beta);
    }

    /**
     * GPT-2's tanh GELU, using {@code 0.5·(1 + tanh(u)) = sigmoid(2u)}:
     * {@code h · sigmoid(2·sqrt(2/π)·(h + 0.044715·h³))}. Composed because M2.1's {@code PreciseGELU} computes
     * {@code (0.044715·h)³} and its derivative matches neither form, and {@code gelu()} is the cruder
     * {@code h·sigmoid(1.702h)} whose derivative overflows to NaN for large inputs.
     */
    private static SDVariable gelu(SameDiff sd, SDVariable h) {
        SDVariable slope = h.mul(h).mul(2 * GELU_C * GELU_CUBIC).add(2 * GELU_C);
        return h.mul(sd.nn().sigmoid(slope.mul(h)));
    }

    private void addNorm(List<ParamSpec> p, String name) {
        p.add(new ParamSpec(name + "Gamma", new long[] {dModel}, ParamSpec.Init.ONES, 1));
        p.add(new ParamSpec(name + "Beta", new long[] {dModel}, ParamSpec.Init.ZEROS, 1));
    }

    private static void addLinear(List<ParamSpec> p, String weight, String bias, long in, long out) {
        p.add(new ParamSpec(weight, new long[] {in, out}, ParamSpec.Init.NORMAL_FAN_IN, in));
        p.add(new ParamSpec(bias, new long[] {out}, ParamSpec.Init.ZEROS, 1));
    }
}
