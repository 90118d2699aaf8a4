package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.config.NormConfig;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.cell.GraphCell;
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
 * The layer form of {@link DeqVertex}, for {@code MultiLayerNetwork}'s {@code ListBuilder}: the same
 * cell, DEQ configuration, parameters, JSON form and runtime ({@link DeqLayerImpl}); see
 * {@link DeqVertex} for the semantics. Build one with {@code DeqVertex.builder()...buildLayer()}.
 *
 * <pre>{@code
 * MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().updater(new Adam(1e-3)).list()
 *     .layer(new DenseLayer.Builder().nIn(10).nOut(16).build())
 *     .layer(DeqVertex.builder().cell(myCell).buildLayer())
 *     .layer(new OutputLayer.Builder().nIn(16).nOut(3).build())
 *     .build();
 * }</pre>
 */
@JsonIgnoreProperties({"layerParams"})
public class DeqLayer extends AbstractSameDiffLayer {
    private static final long serialVersionUID = 1L;

    private final DeqSettings settings;

    /**
     * The JSON form: cell type and configuration, DEQ configuration map, seed, execution
     * ({@link DeqExecution#id()}; absent means {@code auto}), locked-dropout rate (absent means none),
     * weight normalisation ({@link NormConfig#toMap()}; absent means none).
     *
     * @throws org.deq4j.core.InvalidConfigException if the cell type is not registered or a
     *         configuration is invalid
     */
    @JsonCreator
    public DeqLayer(@JsonProperty("cellType") String cellType,
                    @JsonProperty("cellConfig") Map<String, Object> cellConfig,
                    @JsonProperty("deq") Map<String, Object> deq,
                    @JsonProperty("seed") long seed,
                     @JsonProperty("execution") String execution,
                     @JsonProperty("dropout") Double dropout,
                     @JsonProperty("norm") Map<String, Object> norm) {
        this(DeqSettings.fromJson(cellType, cellConfig, deq, seed, execution, dropout, norm));
    }

    DeqLayer(DeqSettings settings) {
        this.settings = settings;
    }

    /** Registry type of the cell. */
    public String getCellType() {
        return settings.cellType();
    }

    /** The cell's configuration. */
    public Map<String, Object> getCellConfig() {
        return settings.cellConfig();
    }

    /** The DEQ configuration as a torchdeq-style map; its JSON form. */
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

    /** The cell. */
    public GraphCell cell() {
        return settings.cell();
    }

    /** The DEQ configuration. */
    public DeqConfig deqConfig() {
        return settings.config();
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        settings.defineParameters(params);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        settings.initialise(params);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType) {
        DeqLayerImpl layer = new DeqLayerImpl(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        return layer;
    }

    /** The cell's state type for the input type. */
    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return settings.outputType(inputType);
    }

    /** Equal settings (see {@link DeqVertex#equals}), layer name and training configuration. */
    @Override
    public boolean equals(Object o) {
        return o instanceof DeqLayer l && l.settings.equals(settings) && Objects.equals(l.getLayerName(), getLayerName())
                && Objects.equals(l.regularization, regularization)
                && Objects.equals(l.regularizationBias, regularizationBias)
                && Objects.equals(l.updater, updater) && Objects.equals(l.biasUpdater, biasUpdater)
                && l.gradientNormalization == gradientNormalization
                && Double.compare(l.gradientNormalizationThreshold, gradientNormalizationThreshold) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(settings, getLayerName(), updater);
    }

    @Override
    public String toString() {
        return "DeqLayer(" + settings + ")";
    }
}
