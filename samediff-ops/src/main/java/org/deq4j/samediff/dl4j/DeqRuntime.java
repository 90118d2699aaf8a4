package org.deq4j.samediff.dl4j;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.diag.SpectralRadius;
import org.deq4j.core.profile.PhaseTimer;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.state.PassWorkspace;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a DEQ vertex or layer does at run time, independent of DL4J's vertex and layer interfaces:
 * solve on forward, differentiate on backward, keep what the backward needs in between, record
 * statistics. The solve and its gradient come from one of two executions ({@link DeqExecution}):
 * {@link EngineRuntime} (the core engine) or {@link RevDeqOpRuntime} (the RevDEQ SameDiff op).
 *
 * <p>Memory. Both passes run scoped out of DL4J's workspaces (which are closed or reused between the
 * forward and the backward pass) and inside the runtime's own {@link PassWorkspace}s, one per kind of
 * pass (training forward, inference forward, backward): what a training forward keeps, with the
 * copy of the input it reads, lives in the training forward's workspace until the next training
 * forward, and each pass reuses the previous pass's memory. The arrays returned live in those
 * workspaces too: the caller copies them into its own (DL4J's workspace manager does) before the same
 * kind of pass runs again.
 */
abstract sealed class DeqRuntime permits EngineRuntime, RevDeqOpRuntime {
    final String name;
    final GraphCell graphCell;
    final Map<String, INDArray> paramTable;
    final DataType dataType;
    final DeqConfig config;
    private SolverStats lastForward;
    private BackwardStats lastBackward;
    private long forwardCount;
    private long forwardCellEvaluations;
    private long backwardCount;
    private final PassWorkspace trainingPass;
    private final PassWorkspace inferencePass;
    private final PassWorkspace backwardPass;
    private boolean keepNext;
    private INDArray keptInput;
    private INDArray keptFixedPoint;
    private INDArray nextStart;

    DeqRuntime(String name, GraphCell graphCell, DeqConfig config, Map<String, INDArray> paramTable,
               DataType dataType) {
        if (config.precision().computeType() != dataType) {
            throw new InvalidConfigException("DEQ '" + name + "': the cell computes in "
                    + config.precision().computeType() + " but the network's parameters are " + dataType
                    + "; set the precision's compute type (compute_dtype) to " + dataType
                    + " (the state type may stay wider)");
        }
        this.name = name;
        this.graphCell = graphCell;
        this.paramTable = paramTable;
        this.dataType = dataType;
        this.config = config;
        String id = "DEQ4J_" + name + "_" + Integer.toHexString(System.identityHashCode(this));
        this.trainingPass = new PassWorkspace(id + "_TRAIN");
        this.inferencePass = new PassWorkspace(id + "_INFER");
        this.backwardPass = new PassWorkspace(id + "_BACKWARD");
    }

    /**
     * The runtime of {@code execution} for {@code config}.
     *
     * @param name       the vertex or layer name, for errors
     * @param paramTable the parameter views by DL4J key ({@code DeqSettings.key} of {@link ParamSpec#name()})
     * @param dataType   the network's data type
     * @throws InvalidConfigException if the configuration's compute type is not the network's, or the
     *         execution cannot run the configuration
     */
    static DeqRuntime create(String name, GraphCell graphCell, DeqConfig config, DeqExecution execution,
                             Map<String, INDArray> paramTable, DataType dataType) {
        return switch (execution.resolve(config)) {
            case REVDEQ_OP -> new RevDeqOpRuntime(name, graphCell, config, paramTable, dataType);
            case CORE_ENGINE, AUTO -> new EngineRuntime(name, graphCell, config, paramTable, dataType);
        };
    }

    /**
     * Solves for {@code x} (the caller's array, valid for this call only) and returns z* in any type;
     * a training solve keeps what {@link #differentiate} needs, an inference solve keeps nothing.
     * Records the solve's statistics with {@link #solved}.
     */
    abstract INDArray solve(INDArray x, boolean training);

    /**
     * Writes dL/dθ into {@code gradTable}'s views and returns dL/dx in any type, from the kept training
     * solve of {@code x} if there is one, else from a new solve. Records its statistics with
     * {@link #differentiated}.
     */
    abstract INDArray differentiate(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable);

    /** The core cell over the parameter views for x's per-sample shape, computing in the network type. */
    abstract Cell coreCell(INDArray x);

    /**
     * The initial state set by {@link #startNextInferenceFrom} for this inference solve, once; a
     * runtime that cannot start elsewhere than zero refuses it there.
     */
    final Optional<INDArray> takeStart() {
        Optional<INDArray> start = Optional.ofNullable(nextStart);
        nextStart = null;
        return start;
    }

    /** The next inference solve starts from {@code z0} (copied now) instead of zero; its batch must match. */
    void startNextInferenceFrom(INDArray z0) {
        nextStart = detachedCopy(z0);
    }

    /** A copy outside every workspace (detach() alone would return a detached array itself). */
    @SuppressWarnings("try")
    private static INDArray detachedCopy(INDArray a) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return a.dup();
        }
    }

    /** The next inference solve keeps a copy of its input and fixed point (state type). */
    final void keepNextFixedPoint() {
        keepNext = true;
    }

    /** The fixed point kept by the last solve {@link #keepNextFixedPoint} armed. */
    final Optional<INDArray> keptFixedPoint() {
        return Optional.ofNullable(keptFixedPoint);
    }

    /**
     * Per-sample ρ(∂f/∂z) at the kept fixed point ({@link SpectralRadius}), the cell computing as in the
     * solve (precision policy applied).
     *
     * @throws IllegalStateException if no fixed point is kept
     */
    @SuppressWarnings("try")
    final double[] spectralRadius(int iterations, long seed) {
        if (keptFixedPoint == null) {
            throw new IllegalStateException("DEQ '" + name + "': no fixed point kept; call keepNextFixedPoint()"
                    + " before an inference pass");
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             PassWorkspace.Scope pass = inferencePass.open()) {
            Cell cell = config.precision().wrap(coreCell(keptInput));
            return SpectralRadius.estimate(cell, State.of(keptInput), State.of(keptFixedPoint), iterations, seed);
        }
    }

    /** Drops a training solve that no backward pass consumed. */
    abstract void clear();

    /** Whether a training solve is held for a backward pass that has not run yet. */
    abstract boolean holdsSolution();

    final void solved(SolverStats stats) {
        lastForward = stats;
        forwardCount++;
        forwardCellEvaluations += stats.cellEvaluations();
    }

    final void differentiated(BackwardStats stats) {
        lastBackward = stats;
        backwardCount++;
    }

    Optional<SolverStats> lastForwardStats() {
        return Optional.ofNullable(lastForward);
    }

    Optional<BackwardStats> lastBackwardStats() {
        return Optional.ofNullable(lastBackward);
    }

    long forwardCount() {
        return forwardCount;
    }

    long forwardCellEvaluations() {
        return forwardCellEvaluations;
    }

    long backwardCount() {
        return backwardCount;
    }

    /** The parameter views in the cell's parameter order. */
    final List<INDArray> parameterViews() {
        return graphCell.parameters().stream().map(spec -> paramTable.get(DeqSettings.key(spec.name()))).toList();
    }

    /**
     * The fixed point for input {@code x}, in the network's data type, passed through {@code export}.
     * A training solve is kept for {@link #backward}; an inference solve keeps nothing.
     */
    @SuppressWarnings("try")
    final INDArray forward(INDArray x, boolean training, UnaryOperator<INDArray> export) {
        long t = PhaseTimer.start();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             PassWorkspace.Scope pass = (training ? trainingPass : inferencePass).open()) {
            clear();
            INDArray z = solve(x, training);
            if (!training && keepNext) {
                keepNext = false;
                keptInput = detachedCopy(x);
                keptFixedPoint = detachedCopy(z);
            }
            return export.apply(inNetworkType(z));
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.DEQ_FORWARD, t);
        }
    }

    /**
     * Backpropagates {@code epsilon} (dL/dz*): writes the parameter gradients into
     * {@code gradTable}'s views and returns dL/dx in the network's data type, passed through
     * {@code export}. Uses the training solve of {@code x} if it is held, else solves again.
     *
     * @throws IllegalStateException if {@code x} is null (no forward pass) or there is no gradient view
     */
    @SuppressWarnings("try")
    final INDArray backward(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable,
                            UnaryOperator<INDArray> export) {
        if (x == null) {
            throw new IllegalStateException("DEQ '" + name + "': backward pass without a forward pass; the"
                    + " network's state was cleared (e.g. by output()) after the training forward pass");
        }
        if (gradTable == null) {
            throw new IllegalStateException("DEQ '" + name + "': no gradient view; the network must initialise"
                    + " its gradients before backpropagation");
        }
        long t = PhaseTimer.start();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             PassWorkspace.Scope pass = backwardPass.open()) {
            INDArray gx = differentiate(x, epsilon, gradTable);
            clear();
            return export.apply(inNetworkType(gx));
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.DEQ_BACKWARD, t);
        }
    }

    /** The error for a cell that cannot take x's shape. */
    final ShapeMismatchException shapeError(INDArray x, RuntimeException cause) {
        long[] sample = Arrays.copyOfRange(x.shape(), 1, x.rank());
        ShapeMismatchException error = new ShapeMismatchException("DEQ '" + name + "': graph cell '"
                + graphCell.type() + "' " + graphCell.config() + " cannot take an input of shape "
                + Arrays.toString(x.shape()) + " (per sample " + Arrays.toString(sample) + "): "
                + cause.getMessage());
        error.initCause(cause);
        return error;
    }

    private INDArray inNetworkType(INDArray a) {
        return a.dataType() == dataType ? a : a.castTo(dataType);
    }
}
