package org.deq4j.lm.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.Tokenizer;
import org.deq4j.samediff.dl4j.DeqStabilisers;

/**
 * The shape and training settings of a DEQ language model: token embedding plus learned position
 * embedding as the injection {@code x}, one {@link TransformerCell} solved to its equilibrium by the
 * reversible solver from {@code z0 = 0}, and an untied linear head (with bias) from the equilibrium to
 * the vocabulary logits. There is no final LayerNorm, as in the paper's description.
 *
 * <p>Presets ({@link #preset}):
 * <ul>
 * <li>{@code wikitext103-paper}: the RevDEQ paper's WikiText-103 model (GPT-2 BPE padded to 50,304, context
 *     448, d 768, 12 heads, MLP 768→3072→3072→768, β 0.5, tol 1e-3, 4 steps, batch 32, AdamW 3e-4,
 *     10 epochs), about 94M parameters by this count (the paper's secondary source says about 96M).</li>
 * <li>{@code austen-micro}: the default of {@code deq4j lm train}, sized for a run of about twelve minutes on
 *     2 cores: T 32, d 32, 2 heads, MLP 128, the paper's β 0.5 and 4 solver steps, batch 64, learning rate
 *     3e-3, 2 epochs (the time budget usually ends the run first).</li>
 * <li>{@code austen-tiny} and {@code austen-small}: CPU-sized models for the embedded Jane Austen corpus
 *     with the byte tokenizer (256 bytes plus end-of-text, vocabulary 257). Deviation from the paper: the
 *     MLP has a single hidden layer of 4·d (GPT-2's shape), which halves the cell's cost at these sizes.</li>
 * </ul>
 *
 * @param name            preset or user name, for logs
 * @param tokenizer       a {@link Tokenizer#named} name, e.g. "gpt2-padded" or "bytes+eot"
 * @param vocabSize       rows of the embedding and columns of the head, at least the tokenizer's vocabulary
 * @param contextLength   tokens per training window, T
 * @param dModel          model width d
 * @param heads           attention heads (divides dModel)
 * @param mlpHidden       MLP hidden width
 * @param twoHiddenLayers whether the MLP has two hidden layers (the paper) or one
 * @param layerNormEps    LayerNorm epsilon
 * @param beta            relaxation of the reversible solver, in (0, 2), not 1
 * @param tol             relative residual tolerance of the forward solve
 * @param maxSteps        solver steps (the paper takes all 4: 2·4 + 1 cell evaluations forward)
 * @param batchSize       windows per training batch
 * @param learningRate    AdamW learning rate
 * @param weightDecay     AdamW weight decay (not stated for the language model; the vision runs use 1e-4)
 * @param epochs          passes over the training split
 * @param stabilisers     the training stabilisers of the DEQ; every preset uses none: the paper's model has
 *                        no dropout, normalisation or Jacobian penalty in its cell
 */
public record DeqLanguageModelConfig(String name, String tokenizer, int vocabSize, int contextLength, int dModel,
        int heads, int mlpHidden, boolean twoHiddenLayers, double layerNormEps, double beta, double tol, int maxSteps,
        int batchSize, double learningRate, double weightDecay, int epochs, DeqStabilisers stabilisers) {

    private static final Map<String, DeqLanguageModelConfig> PRESETS = presets();

    /** A model without stabilisers ({@link DeqStabilisers#NONE}). */
    public DeqLanguageModelConfig(String name, String tokenizer, int vocabSize, int contextLength, int dModel,
            int heads, int mlpHidden, boolean twoHiddenLayers, double layerNormEps, double beta, double tol,
            int maxSteps, int batchSize, double learningRate, double weightDecay, int epochs) {
        this(name, tokenizer, vocabSize, contextLength, dModel, heads, mlpHidden, twoHiddenLayers, layerNormEps, beta,
                tol, maxSteps, batchSize, learningRate, weightDecay, epochs, DeqStabilisers.NONE);
    }

    /** This model with the training stabilisers {@code stabilisers} on its DEQ. */
    public DeqLanguageModelConfig withStabilisers(DeqStabilisers stabilisers) {
        return new DeqLanguageModelConfig(name, tokenizer, vocabSize, contextLength, dModel, heads, mlpHidden,
                twoHiddenLayers, layerNormEps, beta, tol, maxSteps, batchSize, learningRate, weightDecay, epochs,
                stabilisers);
    }

    /**
     * @throws InvalidConfigException if a size or count is not positive, β is outside (0, 2) or 1, a rate
     *         is negative, or the cell configuration is invalid (see {@link TransformerCell})
     */
    public DeqLanguageModelConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(stabilisers, "stabilisers");
        if (vocabSize < 1 || batchSize < 1 || maxSteps < 1 || epochs < 1) {
            throw new InvalidConfigException("language model '" + name + "' needs positive vocabSize, batchSize, maxSteps"
                    + " and epochs, got " + vocabSize + ", " + batchSize + ", " + maxSteps + ", " + epochs);
        }
        if (!(beta > 0 && beta < 2) || beta == 1) {
            throw new InvalidConfigException("language model '" + name + "': beta must be in (0, 2) and not 1, got " + beta);
        }
        if (!(tol >= 0) || !(learningRate > 0) || !(weightDecay >= 0)) {
            throw new InvalidConfigException("language model '" + name + "': tol and weightDecay must be >= 0 and"
                    + " learningRate > 0, got tol " + tol + ", learningRate " + learningRate + ", weightDecay "
                    + weightDecay);
        }
        new TransformerCell(dModel, heads, mlpHidden, contextLength, layerNormEps, twoHiddenLayers);
    }

    /**
     * A preset by name: {@code wikitext103-paper}, {@code austen-tiny} or {@code austen-small}.
     *
     * @throws InvalidConfigException for any other name
     */
    public static DeqLanguageModelConfig preset(String name) {
        DeqLanguageModelConfig c = PRESETS.get(name);
        if (c == null) {
            throw new InvalidConfigException("unknown language model preset '" + name + "'; choose one of "
                    + PRESETS.keySet());
        }
        return c;
    }

    /** The preset names, in a stable order (paper first). */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    /** The DEQ cell of this model. */
    public TransformerCell cell() {
        return new TransformerCell(dModel, heads, mlpHidden, contextLength, layerNormEps, twoHiddenLayers);
    }

    /**
     * The tokenizer, created on each call (the GPT-2 one loads its ranks).
     *
     * @throws InvalidConfigException if the name is unknown or its vocabulary does not fit in {@link #vocabSize}
     */
    public Tokenizer createTokenizer() {
        Tokenizer t = Tokenizer.named(tokenizer);
        if (t.vocabSize() > vocabSize) {
            throw new InvalidConfigException("language model '" + name + "' has vocabSize " + vocabSize
                    + " but tokenizer '" + tokenizer + "' produces " + t.vocabSize() + " ids");
        }
        return t;
    }

    /** Token embedding: vocabSize × dModel. */
    public long embeddingParameters() {
        return (long) vocabSize * dModel;
    }

    /** Learned position embedding: contextLength × dModel. */
    public long positionParameters() {
        return (long) contextLength * dModel;
    }

    /** The DEQ cell's parameters. */
    public long cellParameters() {
        return cell().parameterCount();
    }

    /** Untied head: dModel × vocabSize weights plus a vocabSize bias. */
    public long headParameters() {
        return (long) dModel * vocabSize + vocabSize;
    }

    /** All trainable parameters: embedding + position + cell + head. */
    public long parameterCount() {
        return embeddingParameters() + positionParameters() + cellParameters() + headParameters();
    }

    private static Map<String, DeqLanguageModelConfig> presets() {
        Map<String, DeqLanguageModelConfig> m = new LinkedHashMap<>();
        m.put("wikitext103-paper", new DeqLanguageModelConfig("wikitext103-paper", "gpt2-padded", 50304, 448, 768, 12,
                3072, true, TransformerCell.DEFAULT_EPS, 0.5, 1e-3, 4, 32, 3e-4, 1e-4, 10));
        m.put("austen-tiny", new DeqLanguageModelConfig("austen-tiny", "bytes+eot", 257, 64, 64, 4, 256, false,
                TransformerCell.DEFAULT_EPS, 0.5, 1e-3, 4, 16, 1e-3, 1e-4, 1));
        m.put("austen-small", new DeqLanguageModelConfig("austen-small", "bytes+eot", 257, 128, 128, 4, 512, false,
                TransformerCell.DEFAULT_EPS, 0.5, 1e-3, 4, 16, 1e-3, 1e-4, 1));
        m.put("austen-micro", new DeqLanguageModelConfig("austen-micro", "bytes+eot", 257, 32, 32, 2, 128, false,
                TransformerCell.DEFAULT_EPS, 0.5, 1e-3, 4, 64, 3e-3, 1e-4, 2));
        return Collections.unmodifiableMap(m);
    }
}
