package org.deq4j.samediff.dl4j;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.samediff.SDVertexParams;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.params.SameDiffParamInitializer;
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
 * The runtime of a {@link DeqVertex} in a {@link ComputationGraph}: forward solves for the fixed
 * point and backward differentiates it, on the RevDEQ op (forward loop, then reverse loop) or the core
 * engine ({@code DeqSolution.backward(epsilon)}), as the vertex's {@link DeqExecution} says.
 *
 * <p>Workspaces. DL4J runs {@code doForward} and {@code doBackward} inside its workspaces, which are
 * closed or reused between the two calls. The solve therefore runs scoped out of every workspace (in
 * the runtime's own pass workspaces; see {@code DeqRuntime}), and only the returned activation and
 * input gradient are copied into the {@link ArrayType#ACTIVATIONS} and
 * {@link ArrayType#ACTIVATION_GRAD} workspaces, as DL4J's own vertices do.
 *
 * <p>Memory. A training forward pass keeps what its gradient needs (the op: z_N, y_N and the step
 * counts; the engine: whatever the adjoint keeps, from nothing for implicit and phantom to the
 * trajectory for unrolled) until the backward pass, which releases it. An inference forward pass
 * ({@code output()}, {@code training == false}) solves with the same solver and stopping rule but
 * keeps nothing.
 *
 * <p>Statistics. {@link #lastForwardStats()} and {@link #lastBackwardStats()} report the most recent
 * solve and backward pass; {@link DeqStatsListener} collects them per iteration.
 */
public final class DeqGraphVertex extends BaseGraphVertex implements DeqStatsSource, NormalisedDeq {
    private static final long serialVersionUID = 1L;

    private final DeqVertex conf;
    private final INDArray params;
    private final Map<String, INDArray> paramTable;
    private INDArray gradients;
    private Map<String, INDArray> gradTable;
    private final transient DeqRuntime runtime;

    DeqGraphVertex(DeqVertex conf, ComputationGraph graph, String name, int vertexIndex, INDArray paramsView,
                   boolean initializeParams, DataType dataType) {
        super(graph, name, vertexIndex, null, null, dataType);
        this.conf = conf;
        SDVertexParams vp = conf.getVertexParams();
        this.paramTable = SameDiffParamInitializer.getInstance().subsetAndReshape(vp.getParameterKeys(),
                vp.getParamShapes(), paramsView, null, conf);
        this.runtime = DeqRuntime.create(name, conf.normalisation(), conf.deqConfig(), conf.execution(),
                conf.dropout(), paramTable, dataType);
        if (initializeParams) {
            conf.initializeParameters(paramTable);
        }
        this.params = paramsView;
    }

    @Override
    public String deqName() {
        return vertexName;
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

    /** Whether a training solve is held for a backward pass that has not run yet. */
    boolean holdsSolution() {
        return runtime.holdsSolution();
    }

    /** The locked-dropout mask of the latest training step, if dropout is on. */
    Optional<INDArray> lastDropoutMask() {
        return runtime.lastMask();
    }

    /** The vertex's configuration. */
    public DeqVertex deqVertex() {
        return conf;
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return runtime.forward(inputs[0], training, z -> workspaceMgr.dup(ArrayType.ACTIVATIONS, z));
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        double scoreScale = graph.getConfiguration().getDefaultConfiguration().isMiniBatch() ? inputs[0].size(0) : 1;
        INDArray eps = runtime.backward(inputs[0], epsilon, gradTable, scoreScale,
                g -> workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, g));
        Gradient gradient = new DefaultGradient();
        for (String key : paramTable.keySet()) {
            gradient.gradientForVariable().put(key, gradTable.get(key));
        }
        return new Pair<>(gradient, new INDArray[] {eps});
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
        SDVertexParams vp = conf.getVertexParams();
        this.gradients = backpropGradientsViewArray;
        this.gradTable = SameDiffParamInitializer.getInstance().subsetAndReshape(vp.getParameterKeys(),
                vp.getParamShapes(), backpropGradientsViewArray, null, conf);
    }

    /** The cell treats samples independently, so a mask passes through unchanged. */
    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArrays(INDArray[] maskArrays, MaskState currentMaskState,
            int minibatchSize) {
        return new Pair<>(maskArrays == null ? null : maskArrays[0], currentMaskState);
    }

    /** Also releases a training solution that no backward pass consumed. */
    @Override
    public void clear() {
        super.clear();
        runtime.clear();
    }

    @Override
    public boolean hasLayer() {
        return false;
    }

    @Override
    public Layer getLayer() {
        return null;
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropOnly) {
        return paramTable;
    }

    @Override
    public TrainingConfig getConfig() {
        return conf;
    }

    @Override
    public INDArray params() {
        return params;
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradients;
    }

    @Override
    public String toString() {
        return "DeqGraphVertex(name=" + vertexName + ", " + conf + ")";
    }
}
