package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime of a {@link DeqVertex} in a {@link ComputationGraph}: forward is
 * {@code Deq.solve(cell, x)} and backward is {@code DeqSolution.backward(epsilon)}, with the cell a
 * {@link GraphCellAdapter SameDiff cell} over views of the network's parameter vector.
 *
 * <p>Workspaces. DL4J runs {@code doForward} and {@code doBackward} inside its workspaces, which are
 * closed or reused between the two calls. The solve therefore runs scoped out of every workspace (its
 * arrays, and the training input it keeps, are ordinary detached arrays that survive until the
 * backward pass), and only the returned activation and input gradient are copied into the
 * {@link ArrayType#ACTIVATIONS} and {@link ArrayType#ACTIVATION_GRAD} workspaces, as DL4J's own
 * vertices do.
 *
 * <p>Memory. A training forward pass keeps its {@link DeqSolution} (with whatever the adjoint keeps:
 * nothing for implicit and phantom, the initial state for reversible, the trajectory for unrolled)
 * until the backward pass, which releases it. An inference forward pass ({@code output()},
 * {@code training == false}) solves with the same solver and stopping rule but keeps nothing.
 *
 * <p>Statistics. {@link #lastForwardStats()} and {@link #lastBackwardStats()} report the most recent
 * solve and backward pass; {@link DeqStatsListener} collects them per iteration.
 */
public final class DeqGraphVertex extends BaseGraphVertex {
    private static final long serialVersionUID = 1L;

    private final DeqVertex conf;
    private final INDArray params;
    private final Map<String, INDArray> paramTable;
    private INDArray gradients;
    private Map<String, INDArray> gradTable;
    private final transient Deq trainingDeq;
    private final transient Deq inferenceDeq;
    private transient SameDiffCell cell;
    private long[] cellInjectionShape;
    private transient DeqSolution solution;
    private transient INDArray solvedInput;
    private transient SolverStats lastForward;
    private transient BackwardStats lastBackward;
    private long forwardCount;
    private long backwardCount;

    DeqGraphVertex(DeqVertex conf, ComputationGraph graph, String name, int vertexIndex, INDArray paramsView,
                   boolean initializeParams, DataType dataType) {
        super(graph, name, vertexIndex, null, null, dataType);
        this.conf = conf;
        DeqConfig config = conf.deqConfig();
        if (config.precision().computeType() != dataType) {
            throw new InvalidConfigException("DeqVertex '" + name + "': the cell computes in "
                    + config.precision().computeType() + " but the network's parameters are " + dataType
                    + "; set the precision's compute type (compute_dtype) to " + dataType
                    + " (the state type may stay wider)");
        }
        SDVertexParams vp = conf.getVertexParams();
        this.paramTable = SameDiffParamInitializer.getInstance().subsetAndReshape(vp.getParameterKeys(),
                vp.getParamShapes(), paramsView, null, conf);
        if (initializeParams) {
            conf.initializeParameters(paramTable);
        }
        this.params = paramsView;
        this.trainingDeq = Deq.of(config);
        // Every adjoint runs the same forward loop; the phantom adjoint keeps nothing but z*.
        this.inferenceDeq = Deq.of(config.toBuilder().adjoint(new PhantomAdjoint(1, 1.0)).build());
    }

    /** Statistics of the most recent solve (training or inference), if any. */
    public Optional<SolverStats> lastForwardStats() {
        return Optional.ofNullable(lastForward);
    }

    /** Statistics of the most recent backward pass, if any. */
    public Optional<BackwardStats> lastBackwardStats() {
        return Optional.ofNullable(lastBackward);
    }

    /** Number of solves so far; tells a listener whether {@link #lastForwardStats()} is new. */
    public long forwardCount() {
        return forwardCount;
    }

    /** Number of backward passes so far. */
    public long backwardCount() {
        return backwardCount;
    }

    /** Whether a training solve is held for a backward pass that has not run yet. */
    boolean holdsSolution() {
        return solution != null;
    }

    /** The vertex's configuration. */
    public DeqVertex deqVertex() {
        return conf;
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        INDArray x = inputs[0];
        INDArray out;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            solution = null;
            solvedInput = null;
            // The kept solution reads x in the backward pass, after DL4J may have reused x's workspace.
            DeqSolution s = solve(training ? trainingDeq : inferenceDeq, training ? x.detach() : x);
            if (training) {
                solution = s;
                solvedInput = x;
            }
            INDArray z = s.z().part(0);
            out = z.dataType() == dataType ? z : z.castTo(dataType);
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        if (gradTable == null) {
            throw new IllegalStateException("DeqVertex '" + vertexName + "': no gradient view; the network must"
                    + " initialise its gradients before backpropagation");
        }
        INDArray eps;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            DeqSolution s = solution;
            if (inputs[0] == null) {
                throw new IllegalStateException("DeqVertex '" + vertexName + "': backward pass without a forward"
                        + " pass; the network's state was cleared (e.g. by output()) after the training forward pass");
            }
            if (s == null || solvedInput != inputs[0]) {
                // The last forward pass was for inference or for other inputs: solve for these.
                s = solve(trainingDeq, inputs[0].detach());
            }
            DeqGradients g = s.backward(State.of(epsilon));
            solution = null;
            solvedInput = null;
            lastBackward = g.stats();
            backwardCount++;
            List<ParamSpec> specs = conf.cell().parameters();
            for (int i = 0; i < specs.size(); i++) {
                gradTable.get(specs.get(i).name()).assign(g.gParams().get(i));
            }
            INDArray gx = g.gx().part(0);
            eps = gx.dataType() == dataType ? gx : gx.castTo(dataType);
        }
        Gradient gradient = new DefaultGradient();
        for (String key : paramTable.keySet()) {
            gradient.gradientForVariable().put(key, gradTable.get(key));
        }
        return new Pair<>(gradient, new INDArray[] {workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, eps)});
    }

    private DeqSolution solve(Deq deq, INDArray x) {
        DeqSolution s = deq.solve(cellFor(x), State.of(x));
        lastForward = s.stats();
        forwardCount++;
        return s;
    }

    /** The cell for x's per-sample shape, built (and checked once on a batch of one) when that shape is new. */
    private Cell cellFor(INDArray x) {
        long[] sample = Arrays.copyOfRange(x.shape(), 1, x.rank());
        if (cell == null || !Arrays.equals(sample, cellInjectionShape)) {
            GraphCell graphCell = conf.cell();
            List<INDArray> views = new ArrayList<>();
            for (ParamSpec spec : graphCell.parameters()) {
                views.add(paramTable.get(spec.name()));
            }
            SameDiffCell c = GraphCellAdapter.toCell(graphCell, sample, views);
            long[] probeShape = x.shape().clone();
            probeShape[0] = 1;
            State probe = State.of(Nd4j.zeros(dataType, probeShape));
            try {
                c.apply(c.initialState(probe, dataType), probe);
            } catch (RuntimeException e) {
                ShapeMismatchException error = new ShapeMismatchException("DeqVertex '" + vertexName + "': graph cell '"
                        + graphCell.type() + "' " + graphCell.config() + " cannot take an input of shape "
                        + Arrays.toString(x.shape()) + " (per sample " + Arrays.toString(sample) + "): "
                        + e.getMessage());
                error.initCause(e);
                throw error;
            }
            cell = c;
            cellInjectionShape = sample;
        }
        return cell;
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
        solution = null;
        solvedInput = null;
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
