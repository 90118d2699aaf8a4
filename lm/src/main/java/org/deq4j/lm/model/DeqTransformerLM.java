package org.deq4j.lm.model;

import java.util.Objects;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.EvalBudget;
import org.deq4j.samediff.dl4j.DeqExecution;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.deq4j.train.AdamW;
import org.deq4j.train.compat.OneDnnLayerHelpers;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * The DEQ-transformer language model as a DL4J {@link ComputationGraph}:
 * <pre>
 *   tokens [batch, T] (ids)
 *   → "embed":    EmbeddingSequenceLayer(vocab → d, no bias), output NWC [batch, T, d]
 *   → "position": {@link PositionEmbeddingLayer}, + P[t]                  (x = injection)
 *   → "deq":      {@link DeqVertex}({@link TransformerCell}), z* = f(z*, x) from z0 = 0, [batch, T, d]
 *   → "head":     RnnOutputLayer(d → vocab, bias, softmax, sparse MCXENT), NWC [batch, T, vocab]
 * </pre>
 *
 * <p>Layout. Every sequence activation is NWC, [batch, T, channels], the TransformerCell's own layout, so
 * no permutation happens anywhere between the embedding and the head: the embedding is built with
 * {@code outputDataFormat(NWC)}, the graph's input types propagate recurrent NWC through the position
 * layer and the DEQ vertex (whose per-sample shape [T, d] is exactly the cell's state shape), and the head is
 * an {@code RnnOutputLayer} with {@code dataFormat(NWC)}, whose output is [batch, T, vocab] probabilities.
 * ({@code DeqTransformerLMTest.causalEndToEnd} checks the whole chain: changing token t never changes the
 * outputs at positions before t.)
 *
 * <p>Labels. The loss is {@link LossSparseMCXENT}: labels are next-token ids, one per position, shaped
 * [batch, T, 1] (NWC with one "channel"); the loss is the mean over all batch·T positions of
 * {@code -log p(label)}. {@code WindowDataSetIterator} serves labels [batch, T]; attach
 * {@link #labelsPreProcessor()} to reshape them. Sparse labels avoid one-hot arrays of
 * batch·T·vocab (2.9 GB for the paper's GPT-2 batches).
 *
 * <p>Optimiser: {@link #configuration} describes the architecture only (updater {@link NoOp}: such a graph
 * computes but does not learn); training code puts the optimiser on it, as {@link #create(DeqLanguageModelConfig,
 * GradientStrategy, long)} does with the preset's AdamW ({@link AdamW#apply} with its learning rate and weight
 * decay). The {@link org.deq4j.train.Trainer} adjusts the rate by its plateau rule.
 */
public final class DeqTransformerLM {
    /** Vertex names. */
    public static final String INPUT = "tokens";
    public static final String EMBED = "embed";
    public static final String POSITION = "position";
    public static final String DEQ = "deq";
    public static final String HEAD = "head";
    /** Standard deviation of the initial token embedding and head weights (GPT-2's 0.02). */
    public static final double INIT_STD = 0.02;

    private DeqTransformerLM() {
    }

    /**
     * The graph configuration: the architecture only, no optimiser (see the class comment).
     *
     * @param model    sizes and the cell's dropout and normalisation ({@link DeqLanguageModelConfig#stabilisers()};
     *                 its solver settings, Jacobian penalty included, are {@code deq}'s business here, its
     *                 optimiser settings the training code's)
     * @param deq      the DEQ's solver, adjoint, stopping rule and precision, usually
     *                 {@link #deqConfig(DeqLanguageModelConfig, GradientStrategy)}
     * @param seed     seed of every parameter initialisation
     * @param dataType the network's floating-point type (float32 for training; float64 for gradient checks)
     * @throws InvalidConfigException if the DEQ's compute type differs from {@code dataType}
     */
    public static ComputationGraphConfiguration configuration(DeqLanguageModelConfig model, DeqConfig deq,
            long seed, DataType dataType) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(deq, "deq");
        if (deq.precision().computeType() != dataType) {
            throw new InvalidConfigException("the DEQ's compute type " + deq.precision().computeType()
                    + " must equal the network data type " + dataType);
        }
        int t = model.contextLength();
        int d = model.dModel();
        // NoOp, not DL4J's default Sgd: an architecture must not train with an optimiser nobody chose.
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(dataType).updater(new NoOp()).graphBuilder()
                .addInputs(INPUT)
                // The ids arrive as [batch, T]; as an input type they are a recurrent sequence of T steps.
                .setInputTypes(InputType.recurrent(model.vocabSize(), t))
                .addLayer(EMBED, new EmbeddingSequenceLayer.Builder().nIn(model.vocabSize()).nOut(d).inputLength(t)
                        .hasBias(false).outputDataFormat(RNNFormat.NWC)
                        .weightInit(new NormalDistribution(0, INIT_STD)).build(), INPUT)
                .addLayer(POSITION, new PositionEmbeddingLayer(t, d, seed + 1), EMBED)
                .addVertex(DEQ, model.stabilisers().applyTo(DeqVertex.builder().cell(model.cell()).deq(deq)
                        .seed(seed + 2)).build(), POSITION)
                .addLayer(HEAD, new RnnOutputLayer.Builder(new LossSparseMCXENT()).nIn(d).nOut(model.vocabSize())
                        .activation(Activation.SOFTMAX).dataFormat(RNNFormat.NWC)
                        .weightInit(new NormalDistribution(0, INIT_STD)).biasInit(0).build(), DEQ)
                .setOutputs(HEAD)
                .build();
    }

    /**
     * A new, initialised float32 model with a float64 solver state ({@link PrecisionPolicy#MIXED}, the RevDEQ
     * setting), ready to train with the preset's AdamW: {@link AdamW#apply} with {@code model.learningRate()}
     * and {@code model.weightDecay()}.
     *
     * @see #configuration
     */
    public static ComputationGraph create(DeqLanguageModelConfig model, GradientStrategy gradient, long seed) {
        return create(AdamW.apply(configuration(model, deqConfig(model, gradient), seed, DataType.FLOAT),
                model.learningRate(), model.weightDecay()));
    }

    /**
     * The model's DEQ trained by {@code gradient}: its β, steps and tolerance, {@link PrecisionPolicy#MIXED},
     * and the Jacobian regularisation of its {@link DeqLanguageModelConfig#stabilisers()}.
     */
    public static DeqConfig deqConfig(DeqLanguageModelConfig model, GradientStrategy gradient) {
        return gradient.config(model.maxSteps(), model.beta(), model.tol()).toBuilder()
                .precision(PrecisionPolicy.MIXED).jacobian(model.stabilisers().jacobian()).build();
    }

    /**
     * An initialised graph of {@code conf} (a {@link #configuration}, with or without an optimiser), with
     * DL4J's oneDNN layer helpers installed.
     */
    public static ComputationGraph create(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        OneDnnLayerHelpers.install(graph);
        return graph;
    }

    /**
     * A copy of a trained model (same parameters, copied) with evaluation-time solver settings: the DEQ's
     * inference budget set to {@code eval} ({@link EvalBudget#SAME} keeps the training budget), and, with
     * {@code coreEngine}, the DEQ run on the core engine instead of the RevDEQ op, which warm starts need
     * ({@link org.deq4j.lm.generate.TextGenerator#warmStarted}). The two executions compute the same
     * fixed point up to rounding. For inference only: the copy has no updater state. Returns {@code graph}
     * itself when nothing changes (the training budget and the execution kept).
     *
     * @throws InvalidConfigException if {@code graph} is not a DEQ-transformer
     */
    public static ComputationGraph withInferenceSettings(ComputationGraph graph, EvalBudget eval, boolean coreEngine) {
        Objects.requireNonNull(eval, "eval");
        if (!(graph.getConfiguration().getVertices().get(DEQ) instanceof DeqVertex)) {
            throw new InvalidConfigException("not a DEQ-transformer: the graph has no DEQ vertex '" + DEQ + "'");
        }
        if (eval.isSame() && !coreEngine) {
            return graph;
        }
        ComputationGraph copy = DeqVertex.reconfigured(graph, v -> v.with(v.deqConfig().toBuilder().eval(eval).build(),
                coreEngine ? DeqExecution.CORE_ENGINE : v.execution()));
        OneDnnLayerHelpers.install(copy);
        return copy;
    }

    /** The DEQ vertex of a model at run time (its statistics, warm starts and kept fixed points). */
    public static DeqStatsSource deq(ComputationGraph graph) {
        if (!(graph.getVertex(DEQ) instanceof DeqStatsSource v)) {
            throw new InvalidConfigException("not a DEQ-transformer: the graph has no DEQ vertex '" + DEQ + "'");
        }
        return v;
    }

    /**
     * Reshapes a batch's labels from [batch, T] next-token ids to the head's [batch, T, 1]; batches already
     * of rank 3 are left alone.
     */
    public static DataSetPreProcessor labelsPreProcessor() {
        return ds -> {
            INDArray labels = ds.getLabels();
            if (labels.rank() == 2) {
                ds.setLabels(labels.reshape('c', labels.size(0), labels.size(1), 1));
            }
        };
    }

    /** The model's sequence length T (the graph's fixed input length). */
    public static int contextLength(ComputationGraph graph) {
        return ((EmbeddingSequenceLayer) graph.getLayer(EMBED).conf().getLayer()).getInputLength();
    }

    /** The model's vocabulary (the head's width). */
    public static int vocabSize(ComputationGraph graph) {
        return (int) ((RnnOutputLayer) graph.getLayer(HEAD).conf().getLayer()).getNOut();
    }
}
