package org.deq4j.samediff.dl4j;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.config.DeqConfigs;
import org.deq4j.core.config.NormConfig;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.GraphCells;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a DEQ vertex or layer is configured with, in its serialisable form (cell type and
 * configuration map, DEQ configuration map, seed, execution, locked-dropout rate, weight-normalisation
 * map) and its live form (the {@link GraphCell}, the {@link DeqConfig} and the {@link CellNormalisation},
 * recreated on demand after deserialisation).
 */
final class DeqSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String cellType;
    private final Map<String, Object> cellConfig;
    private final Map<String, Object> deq;
    private final long seed;
    private final DeqExecution execution;
    private final double dropout;
    private final Map<String, Object> norm;
    private transient GraphCell cell;
    private transient DeqConfig config;
    private transient CellNormalisation normalisation;

    private DeqSettings(GraphCell cell, DeqConfig config, long seed, DeqExecution execution, double dropout,
                        NormConfig norm) {
        this.cell = Objects.requireNonNull(cell, "cell");
        this.config = Objects.requireNonNull(config, "config");
        this.cellType = cell.type();
        this.cellConfig = Collections.unmodifiableMap(new LinkedHashMap<>(cell.config()));
        this.deq = DeqConfigs.toMap(config);
        this.seed = seed;
        this.execution = Objects.requireNonNull(execution, "execution");
        this.dropout = new VariationalDropout(dropout).rate();
        this.norm = Collections.unmodifiableMap(norm.toMap());
        this.normalisation = CellNormalisation.of(cell, norm);
        execution.resolve(config);
        if (cell.parameters().isEmpty()) {
            throw new InvalidConfigException("graph cell '" + cellType + "' has no parameters; a DEQ layer needs"
                    + " a trainable cell");
        }
        // A configuration without a faithful map form would not survive JSON: fail now, not at load time.
        if (!DeqConfigs.fromMap(deq).equals(config)) {
            throw new InvalidConfigException("DEQ configuration " + config + " does not round-trip through its map"
                    + " form " + deq + "; it cannot be saved with the network");
        }
    }

    /**
     * @param dropout the locked-dropout rate of training forwards, in [0, 1); 0 is off
     * @throws InvalidConfigException if the cell has no parameters, the configuration has no map form,
     *         the execution cannot run it or the dropout rate is out of range
     */
    static DeqSettings of(GraphCell cell, DeqConfig config, long seed, DeqExecution execution, double dropout,
                          NormConfig norm) {
        return new DeqSettings(cell, config, seed, execution, dropout, norm);
    }

    /**
     * From the JSON form; a null execution, dropout or normalisation (configurations saved before those
     * settings) is {@link DeqExecution#AUTO}, no dropout and {@link NormConfig#NONE}.
     *
     * @throws InvalidConfigException if the cell type is not registered or a configuration is invalid
     */
    static DeqSettings fromJson(String cellType, Map<String, Object> cellConfig, Map<String, Object> deq, long seed,
                                String execution, Double dropout, Map<String, Object> norm) {
        return new DeqSettings(GraphCells.create(Objects.requireNonNull(cellType, "cellType"),
                Objects.requireNonNull(cellConfig, "cellConfig")), DeqConfigs.fromMap(Objects.requireNonNull(deq, "deq")),
                seed, DeqExecution.parse(execution), dropout == null ? 0 : dropout,
                norm == null ? NormConfig.NONE : NormConfig.fromMap(norm));
    }

    String cellType() {
        return cellType;
    }

    Map<String, Object> cellConfig() {
        return cellConfig;
    }

    Map<String, Object> deq() {
        return deq;
    }

    long seed() {
        return seed;
    }

    DeqExecution execution() {
        return execution;
    }

    /** The locked dropout of training forwards. */
    VariationalDropout dropout() {
        return new VariationalDropout(dropout);
    }

    GraphCell cell() {
        if (cell == null) {
            cell = GraphCells.create(cellType, cellConfig);
        }
        return cell;
    }

    DeqConfig config() {
        if (config == null) {
            config = DeqConfigs.fromMap(deq);
        }
        return config;
    }

    /** The weight normalisation as its torchdeq-style map ({@link NormConfig#toMap}; empty for none). */
    Map<String, Object> norm() {
        // null in settings serialised before the option existed
        return norm == null ? Map.of() : norm;
    }

    /** The cell's weight normalisation, which defines the stored parameters. */
    CellNormalisation normalisation() {
        if (normalisation == null) {
            normalisation = CellNormalisation.of(cell(), NormConfig.fromMap(norm()));
        }
        return normalisation;
    }

    /**
     * Whether the DL4J parameter {@code key} is state, not trained (spectral norm's u and v): it takes
     * no updater step and no regularisation.
     */
    boolean isState(String key) {
        return normalisation().parameters().stream()
                .anyMatch(p -> key(p.name()).equals(key) && normalisation().isState(p.name()));
    }

    /**
     * The DL4J key of a cell parameter: DL4J's updater splits "layer_param" keys at the last
     * underscore, so underscores are dropped and the next letter is capitalised ("conv1_W" becomes
     * "conv1W", "gn1_gamma" becomes "gn1Gamma").
     */
    static String key(String paramName) {
        StringBuilder b = new StringBuilder(paramName.length());
        boolean upper = false;
        for (char c : paramName.toCharArray()) {
            if (c == '_') {
                upper = b.length() > 0;
            } else {
                b.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return b.toString();
    }

    /**
     * Declares the stored parameters ({@link CellNormalisation#parameters()}: the cell's own without
     * normalisation) under their {@link #key}s: randomly initialised ones as DL4J weights, the others
     * (biases, normalisation gains and shifts, spectral norm's u and v) as DL4J biases.
     *
     * @throws InvalidConfigException if two parameter names give the same key
     */
    void defineParameters(SDLayerParams params) {
        Map<String, String> seen = new LinkedHashMap<>();
        for (ParamSpec spec : normalisation().parameters()) {
            String key = key(spec.name());
            String other = seen.put(key, spec.name());
            if (other != null || key.isEmpty()) {
                throw new InvalidConfigException("graph cell '" + cellType + "' parameters '" + other + "' and '"
                        + spec.name() + "' both map to the DL4J parameter key '" + key + "' (underscores are"
                        + " removed: DL4J separates layer and parameter names with them)");
            }
            if (spec.init() == ParamSpec.Init.NORMAL_FAN_IN) {
                params.addWeightParam(key, spec.shape());
            } else {
                params.addBiasParam(key, spec.shape());
            }
        }
    }

    /** Writes the seeded initial values into the parameter views (keyed by {@link #key}). */
    void initialise(Map<String, INDArray> params) {
        SeededParamInit.initialise(normalisation(), params, seed);
    }

    /**
     * The state's DL4J type for the given input type: the same type when the cell keeps the shape,
     * otherwise feed-forward (rank 1), recurrent NCW (rank 2) or convolutional NCHW (rank 3).
     */
    InputType outputType(InputType in) {
        long[] inShape = in.getShape(false);
        long[] state = GraphCellAdapter.stateSampleShape(cell(), inShape);
        if (Arrays.equals(state, inShape)) {
            return in;
        }
        return switch (state.length) {
            case 1 -> InputType.feedForward(state[0]);
            case 2 -> InputType.recurrent(state[0], state[1]);
            case 3 -> InputType.convolutional(state[1], state[2], state[0]);
            default -> throw new InvalidInputTypeException("DEQ: no DL4J input type for a state of per-sample shape "
                    + Arrays.toString(state));
        };
    }

    /** Equal cell (type and configuration, numbers by value), DEQ configuration, seed, execution and normalisation. */
    @Override
    public boolean equals(Object o) {
        return o instanceof DeqSettings s && s.cellType.equals(cellType)
                && normalised(s.cellConfig).equals(normalised(cellConfig)) && s.config().equals(config())
                && s.seed == seed && s.execution == execution && Double.compare(s.dropout, dropout) == 0
                && s.normalisation().config().equals(normalisation().config());
    }

    @Override
    public int hashCode() {
        return Objects.hash(cellType, normalised(cellConfig), config(), seed, execution, dropout,
                normalisation().config());
    }

    @Override
    public String toString() {
        return "cell=" + cellType + cellConfig + ", deq=" + deq + ", seed=" + seed + ", execution=" + execution.id()
                + (dropout > 0 ? ", dropout=" + dropout : "") + (norm().isEmpty() ? "" : ", norm=" + norm());
    }

    /** JSON brings numbers back as Integer, Long or Double: compare them by value. */
    private static Map<String, Object> normalised(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof Number n ? (Object) n.doubleValue() : v));
        return out;
    }
}
