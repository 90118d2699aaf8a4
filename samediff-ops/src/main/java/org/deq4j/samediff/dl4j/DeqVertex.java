package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.layers.samediff.SDVertexParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.config.DeqConfigs;
import org.deq4j.core.config.NormConfig;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.GraphCells;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnoreProperties;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A Deep Equilibrium layer as a vertex of a DL4J {@link ComputationGraph}: its output is the fixed
 * point {@code z* = f(z*, x; θ)} of a {@link GraphCell} {@code f} for its one input {@code x},
 * found with the configured solver, and its gradients come from the configured adjoint, so the
 * gradient strategy (reversible, unrolled, implicit, phantom) is one setting of the {@link DeqConfig}.
 * The reversible strategy runs on the RevDEQ SameDiff op ({@link org.deq4j.samediff.op.RevDeq}: its
 * forward while loop, then its reverse loop), the others on the core engine
 * ({@link org.deq4j.core.Deq}); {@link Builder#execution} chooses explicitly.
 *
 * <pre>{@code
 * ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
 *     .updater(new Adam(1e-3)).graphBuilder()
 *     .addInputs("in")
 *     .addLayer("embed", new DenseLayer.Builder().nIn(10).nOut(16).build(), "in")
 *     .addVertex("deq", DeqVertex.builder()
 *         .cell(myCell)
 *         .configure(c -> c.solver(new ReversibleSolver(0.8)).adjoint(new ReversibleAdjoint()).maxSteps(4))
 *         .build(), "embed")
 *     .addLayer("out", new OutputLayer.Builder().nIn(16).nOut(3).build(), "deq")
 *     .setOutputs("out").build();
 * }</pre>
 *
 * <p>Configuration. The cell is stored as its registry type and configuration map
 * ({@link GraphCells}), the DEQ configuration as its torchdeq-style map ({@link DeqConfigs#toMap}),
 * so the vertex round-trips through DL4J's JSON and {@code ModelSerializer}; a custom cell type
 * must be {@link GraphCells#register registered} before a configuration holding it is read.
 *
 * <p>Parameters. The cell's {@link ParamSpec}s define the vertex's parameters, which live in the
 * network's flattened parameter vector and are initialised from {@link #getSeed() the seed} with the
 * values {@link org.deq4j.samediff.cell.CellParameters#create} draws ({@code NORMAL_FAN_IN}: normal
 * with std {@code 1/sqrt(fanIn)}). Their DL4J keys drop the underscores of the cell's names
 * ({@code conv1_W} becomes {@code conv1W}), because DL4J's updater splits "vertex_param" keys at the
 * last underscore. Randomly initialised parameters
 * are DL4J weight parameters; constant-initialised ones (biases, normalisation gains and shifts)
 * are bias parameters, so weight regularisation skips them and a bias updater applies to them.
 * Updater, regularisation and gradient normalisation are inherited from the network's global
 * configuration like any layer's (this class extends {@link SameDiffVertex} for that DL4J
 * mechanism only; it runs natively, see {@link DeqGraphVertex}, not as a SameDiff graph, because
 * DL4J cannot differentiate SameDiff while loops in M2.1).
 *
 * <p>Jacobian regularisation ({@link DeqConfig#jacobian()}, off by default): on training steps the
 * vertex adds the gradient of {@code λ·R}, the Hutchinson estimate of {@code ‖∂f/∂z‖²_F} at z*, to its
 * parameter and input gradients; the network's score leaves the term out and
 * {@link DeqStatsSource#lastJacobianPenalty()} reports it (see {@code docs/stabilisers.md}).
 *
 * <p>Normalisation. With {@link Builder#norm} (torchdeq's {@code norm_type} weight or spectral norm)
 * the vertex's parameters are the {@link CellNormalisation#parameters() stored ones} (e.g. {@code W_v}
 * and {@code W_g} for a weight {@code W}), the cell's weights are rebuilt from them once per forward pass,
 * and spectral norm's u and v are state: advanced once per training forward pass, zero gradient, a
 * {@link NoOp} updater and no regularisation ({@link #getUpdaterByParam}, {@link #getRegularizationByParam}).
 *
 * <p>Data types. The cell computes in the network's data type: the configuration's compute type
 * ({@link org.deq4j.core.precision.PrecisionPolicy#computeType()}) must equal it, while the solver
 * state may be wider (the default float64 state with a float32 network is the RevDEQ setting).
 *
 * <p>Failure modes: {@link InvalidConfigException} from the builder or JSON for an unknown cell
 * type, a cell without parameters, a solver and adjoint that do not go together, or a configuration
 * without a map form; at instantiation for a compute type other than the network's;
 * {@link org.deq4j.core.ShapeMismatchException} at the first forward pass when the cell cannot take
 * the input's shape.
 */
@JsonIgnoreProperties({"vertexParams", "layerName"})
public class DeqVertex extends SameDiffVertex {
    private static final long serialVersionUID = 1L;
    /** The only input's name in {@link SDVertexParams}. */
    static final String INPUT = "x";

    private final DeqSettings settings;

    /**
     * The JSON form: cell type and configuration, DEQ configuration map, seed, execution
     * ({@link DeqExecution#id()}; absent means {@code auto}), locked-dropout rate (absent means none),
     * weight normalisation ({@link NormConfig#toMap()}; absent means none).
     *
     * @throws InvalidConfigException if the cell type is not registered, the cell configuration is
     *         invalid or the DEQ configuration map is invalid
     */
    @JsonCreator
    public DeqVertex(@JsonProperty("cellType") String cellType,
                     @JsonProperty("cellConfig") Map<String, Object> cellConfig,
                     @JsonProperty("deq") Map<String, Object> deq,
                     @JsonProperty("seed") long seed,
                     @JsonProperty("execution") String execution,
                     @JsonProperty("dropout") Double dropout,
                     @JsonProperty("norm") Map<String, Object> norm) {
        this(DeqSettings.fromJson(cellType, cellConfig, deq, seed, execution, dropout, norm));
    }

    private DeqVertex(DeqSettings settings) {
        this.settings = settings;
    }

    /** A builder; {@link Builder#cell} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The vertex built by {@code spec} applied to a new {@link #builder()}: reads well from Kotlin. */
    public static DeqVertex build(Consumer<Builder> spec) {
        Builder b = builder();
        spec.accept(b);
        return b.build();
    }

    /** Registry type of the cell, e.g. "conv_residual". */
    public String getCellType() {
        return settings.cellType();
    }

    /** The cell's configuration, as given by {@link GraphCell#config()}. */
    public Map<String, Object> getCellConfig() {
        return settings.cellConfig();
    }

    /** The DEQ configuration as a torchdeq-style map ({@link DeqConfigs#toMap}); its JSON form. */
    public Map<String, Object> getDeq() {
        return settings.deq();
    }

    /** Seed of the parameter initialisation. */
    public long getSeed() {
        return settings.seed();
    }

    /** What runs the DEQ, by {@link DeqExecution#id()}: its JSON form. */
    public String getExecution() {
        return settings.execution().id();
    }

    /** What runs the DEQ: the RevDEQ op or the core engine (see {@link DeqExecution}). */
    public DeqExecution execution() {
        return settings.execution();
    }

    /**
     * The locked-dropout rate of training forwards, 0 when off: its JSON form, left out when 0 so
     * configurations without dropout read as before.
     */
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    public double getDropout() {
        return settings.dropout().rate();
    }

    /** The locked dropout inside the cell (see {@link Builder#dropout}). */
    public VariationalDropout dropout() {
        return settings.dropout();
    }

    /** The cell. */
    public GraphCell cell() {
        return settings.cell();
    }

    /** The DEQ configuration: solver, adjoint, stopping rule, precision. */
    public DeqConfig deqConfig() {
        return settings.config();
    }

    /** The cell's weight normalisation as its torchdeq-style map ({@link NormConfig#toMap}); omitted from JSON when none. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public Map<String, Object> getNorm() {
        return settings.norm();
    }

    /** The cell's weight normalisation, {@link NormConfig#NONE} for none. */
    public NormConfig norm() {
        return settings.normalisation().config();
    }

    /** The cell and its weight normalisation, which defines the stored parameters. */
    CellNormalisation normalisation() {
        return settings.normalisation();
    }

    /** Spectral norm's u and v are state: no updater step (a {@link NoOp}), whatever the configured updater. */
    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return settings.isState(paramName) ? new NoOp() : super.getUpdaterByParam(paramName);
    }

    /** Spectral norm's u and v are state: no regularisation (no weight decay). */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return settings.isState(paramName) ? new ArrayList<>() : super.getRegularizationByParam(paramName);
    }

    @Override
    public void defineParametersAndInputs(SDVertexParams params) {
        params.defineInputs(INPUT);
        settings.defineParameters(params);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        settings.initialise(params);
    }

    /**
     * Not used: the vertex runs natively ({@link #instantiate} returns a {@link DeqGraphVertex}).
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public SDVariable defineVertex(SameDiff sameDiff, Map<String, SDVariable> layerInput,
                                   Map<String, SDVariable> paramTable, Map<String, SDVariable> maskVars) {
        throw new UnsupportedOperationException("DeqVertex is not one SameDiff graph: DL4J M2.1 cannot differentiate"
                + " a while loop in a SameDiff vertex, so DeqGraphVertex runs the RevDEQ op's forward and reverse"
                + " loops as two graphs (or the core engine)");
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
            INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        setName(name);
        return new DeqGraphVertex(this, graph, name, idx, paramsView, initializeParams, networkDatatype);
    }

    @Override
    public int minVertexInputs() {
        return 1;
    }

    @Override
    public int maxVertexInputs() {
        return 1;
    }

    /** The cell's state type for the input type (see {@code DeqSettings#outputType}). */
    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) throws InvalidInputTypeException {
        if (vertexInputs.length != 1) {
            throw new InvalidInputTypeException("DeqVertex takes exactly one input, got " + vertexInputs.length);
        }
        return settings.outputType(vertexInputs[0]);
    }

    /**
     * This vertex with another DEQ configuration and execution; cell, seed, name and training
     * configuration (updaters, regularisation) kept, so the parameters keep their layout. For
     * evaluation-time changes to a trained network: a larger {@link DeqConfig#eval()} budget, or the
     * core engine for warm starts.
     *
     * @throws InvalidConfigException if the configuration has no map form or the execution cannot run it
     */
    public DeqVertex with(DeqConfig config, DeqExecution execution) {
        return copy(DeqSettings.of(settings.cell(), config, settings.seed(), execution, settings.dropout().rate(),
                settings.normalisation().config()));
    }

    /**
     * A copy of {@code graph} in which every {@link DeqVertex} is replaced by {@code change} of it, with
     * a copy of the graph's parameters (no updater state: for inference). {@code change} must keep the
     * cell, as {@link #with} does, so that the parameters keep their layout. Layer helpers (oneDNN) are
     * not installed on the copy.
     */
    public static ComputationGraph reconfigured(ComputationGraph graph, UnaryOperator<DeqVertex> change) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        conf.getVertices().replaceAll((name, v) -> v instanceof DeqVertex d ? change.apply(d) : v);
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init(graph.params().dup(), false);
        return copy;
    }

    @Override
    public DeqVertex clone() {
        return copy(settings);
    }

    private DeqVertex copy(DeqSettings settings) {
        DeqVertex c = new DeqVertex(settings);
        c.setName(getName());
        c.regularization = regularization == null ? null : List.copyOf(regularization);
        c.regularizationBias = regularizationBias == null ? null : List.copyOf(regularizationBias);
        c.updater = updater == null ? null : updater.clone();
        c.biasUpdater = biasUpdater == null ? null : biasUpdater.clone();
        c.gradientNormalization = gradientNormalization;
        c.gradientNormalizationThreshold = gradientNormalizationThreshold;
        c.dataType = dataType;
        return c;
    }

    /**
     * Equal when cell (type and configuration, numbers compared by value), DEQ configuration, seed
     * and training configuration (updaters, regularisation, gradient normalisation) are equal.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof DeqVertex v && v.settings.equals(settings)
                && Objects.equals(v.regularization, regularization)
                && Objects.equals(v.regularizationBias, regularizationBias)
                && Objects.equals(v.updater, updater) && Objects.equals(v.biasUpdater, biasUpdater)
                && v.gradientNormalization == gradientNormalization
                && Double.compare(v.gradientNormalizationThreshold, gradientNormalizationThreshold) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(settings, updater);
    }

    @Override
    public String toString() {
        return "DeqVertex(" + settings + ")";
    }

    /**
     * Builder of a {@link DeqVertex}. The DEQ configuration defaults to {@link DeqConfig#builder()}'s
     * (reversible solver β = 0.8, reversible adjoint, 4 steps, float64 state with a float32 cell); the
     * seed to 12345. Getter/setter pairs make it a property bag in Kotlin ({@code cell = ...}).
     */
    public static final class Builder {
        private GraphCell cell;
        private DeqConfig config = DeqConfig.builder().build();
        private long seed = 12345;
        private DeqExecution execution = DeqExecution.AUTO;
        private double dropout;
        private IUpdater updater;
        private NormConfig norm = NormConfig.NONE;

        private Builder() {
        }

        /**
         * Weight or spectral normalisation of the cell's weights ({@link CellNormalisation}); by default
         * {@link NormConfig#NONE}.
         */
        public Builder norm(NormConfig norm) {
            this.norm = Objects.requireNonNull(norm, "norm");
            return this;
        }

        /**
         * The DEQ configuration and the weight normalisation from one torchdeq-style map: the
         * normalisation keys ({@code norm_type}, {@code sn_n_power_iters}, ...; {@link NormConfig#fromMap})
         * set {@link #norm}, every other key goes to {@link DeqConfigs#fromMap} and replaces the DEQ
         * configuration.
         *
         * @throws InvalidConfigException naming the key: an unknown key (with the nearest valid key of
         *         either kind), a key without effect, or a bad value
         */
        public Builder torchdeq(Map<String, ?> map) {
            Map<String, Object> normKeys = new LinkedHashMap<>();
            Map<String, Object> deqKeys = new LinkedHashMap<>();
            map.forEach((k, v) -> (k != null && NormConfig.isNormKey(k) ? normKeys : deqKeys).put(k, v));
            DeqConfig c = DeqConfigs.fromMap(deqKeys);
            this.norm = NormConfig.fromMap(normKeys);
            this.config = c;
            return this;
        }

        /** The cell f. Required. */
        public Builder cell(GraphCell cell) {
            this.cell = Objects.requireNonNull(cell, "cell");
            return this;
        }

        /** The whole DEQ configuration. */
        public Builder deq(DeqConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Edits the DEQ configuration: {@code spec} receives a builder holding the current one
         * (the defaults at first) and the result replaces it.
         *
         * @throws InvalidConfigException from {@link DeqConfig.Builder#build()}
         */
        public Builder configure(Consumer<DeqConfig.Builder> spec) {
            DeqConfig.Builder b = config.toBuilder();
            spec.accept(b);
            this.config = b.build();
            return this;
        }

        /** Seed of the parameter initialisation. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * What runs the DEQ; by default {@link DeqExecution#AUTO}: the RevDEQ op for the reversible
         * pair, the core engine for other strategies.
         */
        public Builder execution(DeqExecution execution) {
            this.execution = Objects.requireNonNull(execution, "execution");
            return this;
        }

        /**
         * Locked (variational) dropout inside the cell, as torchdeq's {@code VariationalDropout2d}: each
         * training forward draws one mask (per sample and channel, {@link GraphCell#dropoutMaskShape})
         * and every cell evaluation of that step, in the solve and in its backward, sees {@code m ⊙ z};
         * evaluation applies none. 0 (the default) is off.
         *
         * @param rate the drop probability, in [0, 1)
         * @throws InvalidConfigException if the rate is outside [0, 1)
         */
        public Builder dropout(double rate) {
            this.dropout = new VariationalDropout(rate).rate();
            return this;
        }

        /** An updater for this vertex's parameters only; by default the network's global updater. */
        public Builder updater(IUpdater updater) {
            this.updater = Objects.requireNonNull(updater, "updater");
            return this;
        }

        public GraphCell getCell() {
            return cell;
        }

        public void setCell(GraphCell cell) {
            cell(cell);
        }

        public DeqConfig getDeq() {
            return config;
        }

        public void setDeq(DeqConfig config) {
            deq(config);
        }

        public long getSeed() {
            return seed;
        }

        public void setSeed(long seed) {
            this.seed = seed;
        }

        public DeqExecution getExecution() {
            return execution;
        }

        public NormConfig getNorm() {
            return norm;
        }

        public void setNorm(NormConfig norm) {
            norm(norm);
        }

        public void setExecution(DeqExecution execution) {
            execution(execution);
        }

        public double getDropout() {
            return dropout;
        }

        public void setDropout(double rate) {
            dropout(rate);
        }

        /**
         * @throws InvalidConfigException if no cell was given, the cell has no parameters, the
         *         configuration has no map form (so it could not be saved), or a normalisation is asked
         *         of a cell without normalisable weights
         */
        public DeqVertex build() {
            DeqVertex v = new DeqVertex(settings());
            if (updater != null) {
                v.setUpdater(updater);
            }
            return v;
        }

        /**
         * The same DEQ as a {@link DeqLayer}, for {@code MultiLayerNetwork}.
         *
         * @throws InvalidConfigException as {@link #build()}
         */
        public DeqLayer buildLayer() {
            DeqLayer l = new DeqLayer(settings());
            if (updater != null) {
                l.setUpdater(updater);
            }
            return l;
        }

        private DeqSettings settings() {
            if (cell == null) {
                throw new InvalidConfigException("DeqVertex needs a cell: builder().cell(...)");
            }
            return DeqSettings.of(cell, config, seed, execution, dropout, norm);
        }
    }
}
