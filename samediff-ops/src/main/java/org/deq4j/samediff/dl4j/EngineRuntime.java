package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

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
 * solve on forward, differentiate on backward, keep the solution in between, record statistics.
 *
 * <p>Memory. Everything here runs scoped out of DL4J's workspaces (which are closed or reused between
 * the forward and the backward pass) and inside the runtime's own {@link PassWorkspace}s, one per
 * kind of pass (training forward, inference forward, backward): the kept solution and the copy of the
 * training input it reads live in the training forward's workspace until the next training forward,
 * and each pass reuses the previous pass's memory, so a training step allocates no native memory and
 * leaves no garbage behind. The arrays returned live in those workspaces too: the caller copies them
 * into its own (DL4J's workspace manager does) before the same kind of pass runs again.
 */
final class DeqRuntime {
    private final String name;
    private final GraphCell graphCell;
    private final Map<String, INDArray> paramTable;
    private final DataType dataType;
    private final Deq trainingDeq;
    private final Deq inferenceDeq;
    private SameDiffCell cell;
    private long[] cellInjectionShape;
    private DeqSolution solution;
    private INDArray solvedInput;
    private SolverStats lastForward;
    private BackwardStats lastBackward;
    private long forwardCount;
    private long backwardCount;
    private final PassWorkspace trainingPass;
    private final PassWorkspace inferencePass;
    private final PassWorkspace backwardPass;

    /**
     * @param name       the vertex or layer name, for errors
     * @param paramTable the parameter views by DL4J key ({@code DeqSettings.key} of {@link ParamSpec#name()})
     * @param dataType   the network's data type
     * @throws InvalidConfigException if the configuration's compute type is not the network's
     */
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
        this.trainingDeq = Deq.of(config);
        // Every adjoint runs the same forward loop; the phantom adjoint keeps nothing but z*.
        this.inferenceDeq = Deq.of(config.toBuilder().adjoint(new PhantomAdjoint(1, 1.0)).build());
        String id = "DEQ4J_" + name + "_" + Integer.toHexString(System.identityHashCode(this));
        this.trainingPass = new PassWorkspace(id + "_TRAIN");
        this.inferencePass = new PassWorkspace(id + "_INFER");
        this.backwardPass = new PassWorkspace(id + "_BACKWARD");
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

    long backwardCount() {
        return backwardCount;
    }

    boolean holdsSolution() {
        return solution != null;
    }

    /** Drops a training solution that no backward pass consumed. */
    void clear() {
        solution = null;
        solvedInput = null;
    }

    /**
     * The fixed point for input {@code x}, detached, in the network's data type. A training solve is
     * kept for {@link #backward}; an inference solve keeps nothing.
     */
    @SuppressWarnings("try")
    INDArray forward(INDArray x, boolean training, UnaryOperator<INDArray> export) {
        long t = PhaseTimer.start();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             PassWorkspace.Scope pass = (training ? trainingPass : inferencePass).open()) {
            clear();
            // The kept solution reads x in the backward pass, after DL4J may have reused x's workspace.
            DeqSolution s = solve(training ? trainingDeq : inferenceDeq, training ? x.dup() : x);
            if (training) {
                solution = s;
                solvedInput = x;
            }
            INDArray z = s.z().part(0);
            return export.apply(z.dataType() == dataType ? z : z.castTo(dataType));
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.DEQ_FORWARD, t);
        }
    }

    /**
     * Backpropagates {@code epsilon} (dL/dz*): writes the parameter gradients into
     * {@code gradTable}'s views and returns dL/dx, detached, in the network's data type. Uses the
     * training solve of {@code x} if it is held, else solves again.
     *
     * @throws IllegalStateException if {@code x} is null (no forward pass)
     */
    @SuppressWarnings("try")
    INDArray backward(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable, UnaryOperator<INDArray> export) {
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
            DeqSolution s = solution != null && solvedInput == x ? solution : solve(trainingDeq, x.dup());
            DeqGradients g = s.backward(State.of(epsilon));
            clear();
            lastBackward = g.stats();
            backwardCount++;
            List<ParamSpec> specs = graphCell.parameters();
            for (int i = 0; i < specs.size(); i++) {
                gradTable.get(DeqSettings.key(specs.get(i).name())).assign(g.gParams().get(i));
            }
            INDArray gx = g.gx().part(0);
            return export.apply(gx.dataType() == dataType ? gx : gx.castTo(dataType));
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.DEQ_BACKWARD, t);
        }
    }

    private DeqSolution solve(Deq deq, INDArray x) {
        DeqSolution s = deq.solve(cellFor(x), State.of(x));
        lastForward = s.stats();
        forwardCount++;
        return s;
    }

    /**
     * The cell for x's per-sample shape, built (and checked once, value and VJP, on a batch of one)
     * when that shape is new.
     */
    private Cell cellFor(INDArray x) {
        long[] sample = Arrays.copyOfRange(x.shape(), 1, x.rank());
        if (cell == null || !Arrays.equals(sample, cellInjectionShape)) {
            List<INDArray> views = new ArrayList<>();
            for (ParamSpec spec : graphCell.parameters()) {
                views.add(paramTable.get(DeqSettings.key(spec.name())));
            }
            SameDiffCell c = GraphCellAdapter.toCell(graphCell, sample, views);
            long[] probeShape = x.shape().clone();
            probeShape[0] = 1;
            State probe = State.of(Nd4j.zeros(dataType, probeShape));
            try {
                // A VJP rather than apply: it checks that both the value and the gradient graph take the shape.
                State z0 = c.initialState(probe, dataType);
                c.valueAndVjp(z0, probe, z0);
            } catch (RuntimeException e) {
                ShapeMismatchException error = new ShapeMismatchException("DEQ '" + name + "': graph cell '"
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
}
