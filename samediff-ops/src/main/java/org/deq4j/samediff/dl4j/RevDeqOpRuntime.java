package org.deq4j.samediff.dl4j;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.solver.EvalBudget;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.op.RevDeq;
import org.deq4j.samediff.op.RevDeqLoops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DEQ runtime on the RevDEQ SameDiff op: the forward pass runs the op's forward while loop and the
 * backward pass its reverse loop ({@link RevDeqLoops}: the sub-graphs the op's {@code Invoke}
 * executes, compiled by deq4j's planned executor, with no per-step allocation). Keeping z_N, y_N and
 * the step counts between the passes lets the backward run the reverse loop alone instead of solving
 * again, as {@code calculateGradients} on one graph would. The loops are built once per per-sample
 * input shape; with an evaluation budget ({@link DeqConfig#eval()}) other than the training one,
 * inference solves run loops of their own, built with that budget.
 *
 * <p>Statistics: the forward reports each sample's steps and final relative residual (the op does not
 * trace residuals, so the lowest residual is the final one and the trace is empty); the backward
 * reports the drift (the rebuilt z_0 and y_0 against the known start, zero), checked with the
 * configuration's {@link DriftCheck} as the core engine does.
 */
final class RevDeqOpRuntime extends DeqRuntime {
    private final RevDeq revDeq;
    private final DriftCheck driftCheck;
    private final double tol;
    private final ShapedLoops trainingLoops;
    /** The training loops when inference has the same budget, else loops built with the evaluation budget. */
    private final ShapedLoops inferenceLoops;
    private final Kept kept = new Kept();

    /** The loops of one step budget, rebuilt when the per-sample input shape changes. */
    private final class ShapedLoops {
        private final RevDeq deq;
        private long[] sampleShape;
        private RevDeqLoops loops;

        ShapedLoops(RevDeq deq) {
            this.deq = deq;
        }

        boolean isNewShape(INDArray x) {
            return loops == null || !Arrays.equals(sampleShape, Arrays.copyOfRange(x.shape(), 1, x.rank()));
        }

        RevDeqLoops forInput(INDArray x) {
            if (isNewShape(x)) {
                drop();
                List<DataType> paramTypes = Collections.nCopies(graphCell.parameters().size(), dataType);
                try {
                    loops = new RevDeqLoops(deq, dataType, paramTypes, dataType, x.shape());
                } catch (RuntimeException e) {
                    throw shapeError(x, e);
                }
                sampleShape = Arrays.copyOfRange(x.shape(), 1, x.rank());
            }
            return loops;
        }

        void drop() {
            if (loops != null) {
                loops.close();
                loops = null;
            }
        }
    }

    /**
     * What a training solve keeps for the backward pass, outside every workspace and outside the
     * loops' buffers (an inference solve in between reuses those), reused while the batch shape stays
     * the same.
     */
    private static final class Kept {
        private INDArray x;
        private INDArray z;
        private INDArray y;
        private INDArray steps;
        /** The caller's x of the kept solve, by identity; null when nothing is kept. */
        private INDArray input;

        @SuppressWarnings("try")
        void keep(INDArray input, RevDeqLoops.Solve s) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                x = into(x, input);
                z = into(z, s.z());
                y = into(y, s.y());
                steps = into(steps, s.steps());
            }
            this.input = input;
        }

        private static INDArray into(INDArray buffer, INDArray value) {
            if (buffer == null || !Arrays.equals(buffer.shape(), value.shape()) || buffer.dataType() != value.dataType()) {
                return value.dup();
            }
            return buffer.assign(value);
        }
    }

    RevDeqOpRuntime(String name, CellNormalisation normalisation, DeqConfig config, VariationalDropout dropout,
                    Map<String, INDArray> paramTable, DataType dataType) {
        super(name, normalisation, config, dropout, paramTable, dataType);
        this.revDeq = RevDeq.of(normalisation.cell(), config);
        this.driftCheck = ((ReversibleAdjoint) config.adjoint()).drift();
        this.tol = config.stop().tol();
        this.trainingLoops = new ShapedLoops(revDeq);
        this.inferenceLoops = config.eval().isSame() ? trainingLoops : new ShapedLoops(RevDeq.of(graphCell,
                config.toBuilder().maxSteps(config.evalStop().maxSteps()).eval(EvalBudget.SAME).build()));
    }

    /** The op's loops start from zero: a warm start needs the core engine. */
    @Override
    void startNextInferenceFrom(INDArray z0) {
        throw new InvalidConfigException("DEQ '" + name + "' runs on the RevDEQ op, whose solve starts from zero;"
                + " warm starts need execution '" + DeqExecution.CORE_ENGINE.id() + "'");
    }

    @Override
    boolean holdsSolution() {
        return kept.input != null;
    }

    @Override
    void clearSolution() {
        kept.input = null;
    }

    @Override
    INDArray solve(INDArray x, boolean training, Optional<INDArray> mask) {
        ShapedLoops shaped = training ? trainingLoops : inferenceLoops;
        boolean newShape = shaped.isNewShape(x);
        RevDeqLoops.Solve s;
        try {
            RevDeqLoops l = shaped.forInput(x);
            s = mask.isPresent() ? l.solve(x, parameterViews(), mask.get()) : l.solve(x, parameterViews());
        } catch (RuntimeException e) {
            if (!newShape) {
                throw e;
            }
            // the first run for a shape is what checks that the cell takes it
            shaped.drop();
            throw shapeError(x, e);
        }
        int[] steps = s.steps().toIntVector();
        double[] residual = s.residual().toDoubleVector();
        int most = Arrays.stream(steps).max().orElse(0);
        solved(new SolverStats(steps, residual, residual, List.of(), 1 + 2 * most, tol));
        if (training) {
            // the backward pass reads x after DL4J may have reused x's workspace
            kept.keep(x, s);
        }
        return s.z();
    }

    @Override
    INDArray differentiate(INDArray x, INDArray epsilon, Map<String, INDArray> gradTable, Optional<INDArray> mask) {
        if (kept.input != x) {
            solve(x, true, mask);
        }
        RevDeqLoops.Reverse r = mask.isPresent()
                ? trainingLoops.loops.reverse(kept.x, parameterViews(), kept.z, kept.y, kept.steps, epsilon, mask.get())
                : trainingLoops.loops.reverse(kept.x, parameterViews(), kept.z, kept.y, kept.steps, epsilon);
        storeGradients(r.gParams(), gradTable);
        double drift = Math.max(r.z0().amaxNumber().doubleValue(), r.y0().amaxNumber().doubleValue());
        int most = (int) kept.steps.maxNumber().doubleValue();
        driftCheck.apply(drift, most, revDeq.beta());
        // each reverse step evaluates the cell twice, each evaluation serving its VJP too
        differentiated(new BackwardStats(2 * most, OptionalDouble.of(drift), Optional.empty()));
        return r.gx();
    }
}
