package org.deq4j.samediff.dl4j;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.UnaryOperator;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.LockedDropoutCell;
import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.diag.SpectralRadius;
import org.deq4j.core.profile.PhaseTimer;
import org.deq4j.core.reg.JacobianPenalty;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.core.reg.PenaltyGradients;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.state.PassWorkspace;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.cell.GraphCell;
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
 *
 * <p>Locked dropout. With a dropout rate above 0, each training forward draws one mask
 * ({@link GraphCell#dropoutMaskShape}, from ND4J's random generator, which the trainer seeds per step)
 * and the runtime hands it to the solve and to the backward of that solve, so every cell evaluation
 * of the step, forward and backward, sees the same mask. Inference forwards apply none. The mask
 * buffer lives outside every workspace and is redrawn in place while the batch shape stays the same.
 *
 * <p>Jacobian regularisation ({@link DeqConfig#jacobian()}). A training forward that applies it (a
 * draw from ND4J's global generator with the configured frequency; the trainer seeds that generator
 * per step, so runs and resumed runs draw alike) estimates the penalty R at z* with Gaussian probes
 * from the same generator, on the core engine's cell for the graph cell ({@link JacobianPenalty}, the
 * same code for both executions). DL4J gives a vertex no way to add to the network's loss, so the
 * penalty enters through the gradients only: the matching backward pass adds {@code λ·∂R/∂θ} to the
 * parameter gradients and {@code λ·∂R/∂x} to the input gradient, and {@code λ·R} is reported as
 * {@link #lastJacobianPenalty()} (the network's score leaves it out). The probe VJPs count towards
 * the backward pass's cell evaluations.
 */
abstract sealed class DeqRuntime permits EngineRuntime, RevDeqOpRuntime {
    final String name;
    final GraphCell graphCell;
    final DataType dataType;
    private final VariationalDropout dropout;
    /** The mask of the latest training forward, if dropout is on; redrawn in place per step. */
    private INDArray mask;
    private final CellNormalisation.Bound normalisation;
    final DeqConfig config;
    private SolverStats lastForward;
    private BackwardStats lastBackward;
    private long forwardCount;
    private long forwardCellEvaluations;
    private long backwardCount;
    private final PassWorkspace trainingPass;
    private final PassWorkspace inferencePass;
    private final PassWorkspace backwardPass;
    private final JacobianRegularization jacobian;
    private SameDiffCell cell;
    private long[] cellInjectionShape;
    private JacobianPenalty pendingPenalty;
    private INDArray penaltyInput;
    /** The penalty's gradients while a backward pass of a regularised step stores its gradients. */
    private PenaltyGradients penaltyGradients;
    private OptionalDouble lastPenalty = OptionalDouble.empty();
    private boolean keepNext;
    private INDArray keptInput;
    private INDArray keptFixedPoint;
    private INDArray nextStart;

    DeqRuntime(String name, CellNormalisation normalisation, DeqConfig config, VariationalDropout dropout,
               Map<String, INDArray> paramTable, DataType dataType) {
        if (config.precision().computeType() != dataType) {
            throw new InvalidConfigException("DEQ '" + name + "': the cell computes in "
                    + config.precision().computeType() + " but the network's parameters are " + dataType
                    + "; set the precision's compute type (compute_dtype) to " + dataType
                    + " (the state type may stay wider)");
        }
        this.name = name;
        this.graphCell = normalisation.cell();
        this.dataType = dataType;
        this.dropout = dropout;
        this.normalisation = normalisation.bind(p -> paramTable.get(DeqSettings.key(p)), dataType);
        this.config = config;
        String id = "DEQ4J_" + name + "_" + Integer.toHexString(System.identityHashCode(this));
        this.trainingPass = new PassWorkspace(id + "_TRAIN");
        this.inferencePass = new PassWorkspace(id + "_INFER");
        this.backwardPass = new PassWorkspace(id + "_BACKWARD");
        this.jacobian = config.jacobian();
    }

    /**
     * The runtime of {@code execution} for {@code config}.
     *
     * @param name          the vertex or layer name, for errors
     * @param normalisation the cell and how its weights are normalised
     * @param dropout       the locked dropout of training forwards ({@link VariationalDropout#OFF} for none)
     * @param paramTable    the stored parameter views by DL4J key ({@code DeqSettings.key} of
     *                      {@link CellNormalisation#parameters()} names)
     * @param dataType      the network's data type
     * @throws InvalidConfigException if the configuration's compute type is not the network's, or the
     *         execution cannot run the configuration
     */
    static DeqRuntime create(String name, CellNormalisation normalisation, DeqConfig config, DeqExecution execution,
                             VariationalDropout dropout, Map<String, INDArray> paramTable, DataType dataType) {
        return switch (execution.resolve(config)) {
            case REVDEQ_OP -> new RevDeqOpRuntime(name, normalisation, config, dropout, paramTable, dataType);
            case CORE_ENGINE, AUTO -> new EngineRuntime(name, normalisation, config, dropout, paramTable, dataType);
        };
    }

    /**
     * Solves for {@code x} (the caller's array, valid for this call only) and returns z* in any type;
     * a training solve keeps what {@link #differentiate} needs, an inference solve keeps nothing.
     * Records the solve's statistics with {@link #solved}.
     *
     * @param mask the locked-dropout mask of a training solve (never given for inference)
     */
    abstract INDArray solve(INDArray x, boolean training, Optional<INDArray> mask);

    /**
     * Writes dL/dθ into {@code gradTable}'s views (with {@link #storeGradients}) and returns dL/dx in
     * any type, from the kept training solve of {@code x} if there is one, else from a new solve.
     * Records its statistics with {@link #differentiated}.
     *
     * @param mask the mask of the kept training solve, or of the new solve
     */
    abstract INDArray differentiate(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable,
                                    Optional<INDArray> mask);

    /** Drops a training solve that no backward pass consumed, and its Jacobian penalty. */
    final void clear() {
        pendingPenalty = null;
        penaltyInput = null;
        clearSolution();
    }

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

    /** {@code a} copied into {@code buffer} when that has a's shape and type, else into a new detached copy. */
    private static INDArray copyInto(INDArray buffer, INDArray a) {
        if (buffer != null && Arrays.equals(buffer.shape(), a.shape()) && buffer.dataType() == a.dataType()) {
            return buffer.assign(a);
        }
        return detachedCopy(a);
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
     * Per-sample ρ(∂f/∂z) at the kept fixed point of its first {@code samples} samples (all if fewer)
     * ({@link SpectralRadius}), the cell computing as in the solve (precision policy applied).
     *
     * @throws IllegalStateException if no fixed point is kept
     */
    @SuppressWarnings("try")
    final double[] spectralRadius(int samples, int iterations, long seed) {
        if (keptFixedPoint == null) {
            throw new IllegalStateException("DEQ '" + name + "': no fixed point kept; call keepNextFixedPoint()"
                    + " before an inference pass");
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             PassWorkspace.Scope pass = inferencePass.open()) {
            Cell cell = config.precision().wrap(cellFor(keptInput));
            long n = Math.min(samples, keptInput.size(0));
            return SpectralRadius.estimate(cell, State.of(firstRows(keptInput, n)), State.of(firstRows(keptFixedPoint, n)),
                    iterations, seed);
        }
    }

    private static INDArray firstRows(INDArray a, long n) {
        return n == a.size(0) ? a : a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n));
    }

    /** Drops a training solve that no backward pass consumed. */
    abstract void clearSolution();

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

    /**
     * {@code λ·R}, the Jacobian penalty the most recent training forward added to the loss; empty
     * when that forward did not apply it (off, or skipped by the frequency) or there was none.
     */
    OptionalDouble lastJacobianPenalty() {
        return lastPenalty;
    }

    /**
     * The core engine's cell for x's per-sample shape: a {@link SameDiffCell} of the graph cell over
     * the parameter views, in the network's data type, built (and checked once, value and VJP, on a
     * batch of one) when that shape is new.
     */
    final Cell cellFor(INDArray x) {
        long[] sample = Arrays.copyOfRange(x.shape(), 1, x.rank());
        if (cell == null || !Arrays.equals(sample, cellInjectionShape)) {
            SameDiffCell c = GraphCellAdapter.toCell(graphCell, sample, parameterViews());
            long[] probeShape = x.shape().clone();
            probeShape[0] = 1;
            State probe = State.of(Nd4j.zeros(dataType, probeShape));
            try {
                // A VJP rather than apply: it checks that both the value and the gradient graph take the shape.
                State z0 = c.initialState(probe, dataType);
                c.valueAndVjp(z0, probe, z0);
            } catch (RuntimeException e) {
                throw shapeError(x, e);
            }
            cell = c;
            cellInjectionShape = sample;
        }
        return cell;
    }

    /**
     * The cell's parameters in its parameter order: the parameter views themselves, or for normalised
     * weights the weights rebuilt at the start of the last forward pass (the same arrays every time).
     */
    final List<INDArray> parameterViews() {
        return normalisation.effective();
    }

    /**
     * Writes the cell's parameter gradients (in its parameter order) into {@code gradTable}, through
     * the weight normalisation if there is one, with the pending Jacobian penalty's added (the
     * arrays of {@code cellGradients} are added to in place).
     */
    final void storeGradients(List<INDArray> cellGradients, Map<String, INDArray> gradTable) {
        if (penaltyGradients != null) {
            // the penalty's θ-gradient is with respect to the same (normalised) cell weights, so it joins
            // the solve's before the one pass through the normalisation
            for (int i = 0; i < cellGradients.size(); i++) {
                cellGradients.get(i).addi(penaltyGradients.gParams().get(i));
            }
        }
        normalisation.backward(cellGradients, p -> gradTable.get(DeqSettings.key(p)));
    }

    /** The weight normalisation bound to the parameter views. */
    final CellNormalisation.Bound normalisation() {
        return normalisation;
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
            lastPenalty = OptionalDouble.empty();
            // torchdeq's reset_norm: the weights are rebuilt once per forward pass, not per solver step
            normalisation.refresh(training);
            Optional<INDArray> stepMask = training ? drawMask(x) : Optional.empty();
            INDArray z = solve(x, training, stepMask);
            if (training && jacobian.isOn()) {
                samplePenalty(x, z, stepMask);
            }
            if (!training && keepNext) {
                keepNext = false;
                // into the previous copies when the shapes repeat (each epoch's estimate): fresh ones per
                // epoch would be native garbage waiting for a GC
                keptInput = copyInto(keptInput, x);
                keptFixedPoint = copyInto(keptFixedPoint, z);
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
     * @param scoreScale the factor between the network's backpropagated gradients and its score's: DL4J
     *                   backpropagates the gradient of the summed loss and its updater divides by the
     *                   minibatch size when the network is configured {@code miniBatch} (the default), so
     *                   that is the minibatch size then, else 1. The Jacobian penalty's gradients are
     *                   multiplied by it, so that the update is that of score + λ·R.
     * @throws IllegalStateException if {@code x} is null (no forward pass) or there is no gradient view
     */
    @SuppressWarnings("try")
    final INDArray backward(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable, double scoreScale,
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
            // the held solve's mask; a backward that must solve again is a new training step
            boolean held = holdsSolution() && mask != null && mask.size(0) == x.size(0);
            PenaltyGradients penalty = pendingPenalty != null && penaltyInput == x
                    ? pendingPenalty.gradients(scoreScale * jacobian.weight()) : null;
            INDArray gx;
            penaltyGradients = penalty;
            try {
                gx = differentiate(x, epsilon, gradTable, held ? Optional.of(mask) : drawMask(x));
            } finally {
                penaltyGradients = null;
            }
            if (penalty != null) {
                gx = addPenaltyGradients(gx, penalty);
            }
            clear();
            return export.apply(inNetworkType(gx));
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.DEQ_BACKWARD, t);
        }
    }

    /**
     * A fresh mask for a training solve of {@code x}, drawn into the kept buffer; empty when dropout is
     * off.
     */
    @SuppressWarnings("try")
    private Optional<INDArray> drawMask(INDArray x) {
        if (!dropout.isOn()) {
            return Optional.empty();
        }
        long[] shape = graphCell.dropoutMaskShape(graphCell.stateShape(x.shape()));
        if (mask == null || !Arrays.equals(mask.shape(), shape)) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                mask = Nd4j.createUninitialized(dataType, shape);
            }
        }
        return Optional.of(dropout.sampleInto(mask));
    }

    /** The mask of the latest training forward or backward, if dropout is on and one was drawn. */
    Optional<INDArray> lastMask() {
        return Optional.ofNullable(mask);
    }

    /**
     * Decides with the configured frequency whether this training step is regularised and, if so,
     * estimates the penalty at copies of z* and x (in the network's type, in the training pass's
     * workspace: the caller's x may be reused before the backward pass, z* may be a loop buffer).
     */
    private void samplePenalty(INDArray x, INDArray z, Optional<INDArray> stepMask) {
        State zStar = State.of(copyInNetworkType(z));
        State input = State.of(copyInNetworkType(x));
        Cell cell = cellFor(x);
        if (stepMask.isPresent()) {
            // the penalty is on the step's cell, the one whose fixed point z* is
            cell = new LockedDropoutCell(cell, State.of(stepMask.get()));
        }
        jacobian.sample(cell, zStar, input, Nd4j.getRandom()).ifPresent(p -> {
            pendingPenalty = p;
            penaltyInput = x;
            lastPenalty = OptionalDouble.of(jacobian.weight() * p.value());
        });
    }

    /**
     * Returns {@code dL/dx + s·λ·∂R/∂x} for the penalty gradients {@code g} (already scaled by the score
     * scale s and λ) and counts the probe VJPs; the parameter part went in with {@link #storeGradients}.
     */
    private INDArray addPenaltyGradients(INDArray gx, PenaltyGradients g) {
        BackwardStats b = lastBackward;
        lastBackward = new BackwardStats(b.cellEvaluations() + pendingPenalty.probeCount() + g.cellEvaluations(),
                b.drift(), b.solve());
        return gx.add(g.gx().part(0).castTo(gx.dataType()));
    }

    private INDArray copyInNetworkType(INDArray a) {
        return a.dataType() == dataType ? a.dup() : a.castTo(dataType);
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
