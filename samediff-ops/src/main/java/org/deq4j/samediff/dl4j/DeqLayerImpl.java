package org.deq4j.samediff.dl4j;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.config.NormConfig;
import org.deq4j.core.solver.SolverStats;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime of a {@link DeqLayer} in a {@code MultiLayerNetwork}: {@code activate} solves,
 * {@code backpropGradient} differentiates, both through the same {@code DeqRuntime} as
 * {@link DeqGraphVertex} (workspaces, kept solution, inference without a trajectory, statistics).
 * A configured dropout applies to the layer's input in training, as for DL4J's own layers.
 */
public final class DeqLayerImpl extends AbstractLayer<DeqLayer> implements DeqStatsSource, NormalisedDeq {
    private static final long serialVersionUID = 1L;

    private INDArray params;
    private INDArray gradients;
    private Map<String, INDArray> paramTable;
    private Map<String, INDArray> gradTable;
    private transient DeqRuntime runtime;

    DeqLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** The layer's name, or "layer i" for an unnamed layer at index i. */
    @Override
    public String deqName() {
        return layerConf().getLayerName() != null ? layerConf().getLayerName() : "layer " + getIndex();
    }

    @Override
    public Optional<SolverStats> lastForwardStats() {
        return runtime.lastForwardStats();
    }

    @Override
    public Optional<BackwardStats> lastBackwardStats() {
        return runtime.lastBackwardStats();
    }

    @Override
    public long forwardCount() {
        return runtime.forwardCount();
    }

    @Override
    public NormConfig norm() {
        return runtime.normalisation().config();
    }

    @Override
    @SuppressWarnings("try")
    public void resetNorm(boolean training) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            runtime.normalisation().refresh(training);
        }
    }

    @Override
    public OptionalDouble sigma(String weight) {
        return runtime.normalisation().sigma(weight);
    }

    @Override
    public long powerIterationSteps() {
        return runtime.normalisation().iterationSteps();
    }

    @Override
    public long forwardCellEvaluations() {
        return runtime.forwardCellEvaluations();
    }

    @Override
    public void keepNextFixedPoint() {
        runtime.keepNextFixedPoint();
    }

    @Override
    public Optional<INDArray> keptFixedPoint() {
        return runtime.keptFixedPoint();
    }

    @Override
    public double[] spectralRadius(int samples, int iterations, long seed) {
        return runtime.spectralRadius(samples, iterations, seed);
    }

    @Override
    public void startNextInferenceFrom(INDArray z0) {
        runtime.startNextInferenceFrom(z0);
    }

    @Override
    public long backwardCount() {
        return runtime.backwardCount();
    }

    @Override
    public OptionalDouble lastJacobianPenalty() {
        return runtime.lastJacobianPenalty();
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        return runtime.forward(input, training, z -> workspaceMgr.dup(ArrayType.ACTIVATIONS, z));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        double scoreScale = conf().isMiniBatch() ? input.size(0) : 1;
        INDArray gx = backpropDropOutIfPresent(runtime.backward(input, epsilon, gradTable, scoreScale,
                g -> workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, g)));
        Gradient gradient = new DefaultGradient();
        for (String key : paramTable.keySet()) {
            gradient.gradientForVariable().put(key, gradTable.get(key));
        }
        return new Pair<>(gradient, gx);
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    /** The cell has no weight noise. */
    @Override
    public void clearNoiseWeightParams() {
    }

    /** Not supported, as for DL4J's own SameDiff layers. */
    @Override
    public Layer clone() {
        throw new UnsupportedOperationException("DeqLayerImpl cannot be cloned; clone the network instead");
    }

    /** Also releases a training solution that no backward pass consumed. */
    @Override
    public void clear() {
        super.clear();
        if (runtime != null) {
            runtime.clear();
        }
    }

    @Override
    public INDArray params() {
        return params;
    }

    @Override
    public INDArray getParam(String param) {
        return paramTable.get(param);
    }

    @Override
    public long numParams() {
        return params == null ? 0 : params.length();
    }

    @Override
    public void setParam(String key, INDArray val) {
        INDArray current = paramTable.get(key);
        if (current == null) {
            throw new IllegalArgumentException("DEQ layer has no parameter '" + key + "'; it has " + paramTable.keySet());
        }
        if (!Arrays.equals(current.shape(), val.shape())) {
            throw new IllegalArgumentException("DEQ layer parameter '" + key + "' has shape "
                    + Arrays.toString(current.shape()) + ", not " + Arrays.toString(val.shape()));
        }
        current.assign(val);
    }

    @Override
    public void setParams(INDArray params) {
        if (params.length() != this.params.length()) {
            throw new IllegalArgumentException("DEQ layer has " + this.params.length() + " parameters, not "
                    + params.length());
        }
        this.params.assign(params);
    }

    @Override
    public void setParamsViewArray(INDArray params) {
        this.params = params;
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradients;
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) {
        this.gradients = gradients;
        this.gradTable = layerConf().initializer().getGradientsFromFlattened(conf(), gradients);
    }

    /** The first call installs the parameter views (the cell uses them live); later calls assign values. */
    @Override
    public void setParamTable(Map<String, INDArray> paramTable) {
        if (this.paramTable == null) {
            this.paramTable = paramTable;
            this.runtime = DeqRuntime.create(deqName(), layerConf().normalisation(), layerConf().deqConfig(),
                    layerConf().execution(), layerConf().dropout(), paramTable, dataType);
        } else {
            paramTable.forEach(this::setParam);
        }
    }

    @Override
    public Map<String, INDArray> paramTable() {
        return paramTable;
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
        return paramTable;
    }
}
