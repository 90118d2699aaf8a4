package org.deq4j.core.adjoint;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.deq4j.core.DivergenceException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.solver.ActiveSet;
import org.deq4j.core.solver.Iterate;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward solve every adjoint runs: init, then steps until each sample's residual is within
 * tolerance (that sample is then frozen) or the budget is spent, with per-sample statistics and a
 * check for NaN or Inf after every evaluation.
 */
final class ForwardLoop {
    /** Added to the norm of f(z) in the relative residual, as in torchdeq and the RevDEQ code. */
    static final double RELATIVE_EPS = 1e-5;
    private static final String WORKSPACE = "DEQ4J_FORWARD_LOOP";

    private ForwardLoop() {
    }

    /** What a solve produced: the final iterate and its statistics. */
    record Outcome<S extends Iterate>(S iterate, SolverStats stats) {
    }

    /**
     * Runs the solve.
     *
     * @param phase     names the solve in errors ("forward solve", "implicit backward solve")
     * @param afterStep called with the iterate after init (step 0) and after every step, for adjoints
     *                  that store the trajectory
     */
    static <S extends Iterate> Outcome<S> run(String phase, Solver<S> solver, Cell cell, State x, State z0,
            StopCriterion stop, Consumer<S> afterStep) {
        S it = solver.init(cell, x, z0);
        it.z().requireSameShape(it.fz(), "cell output f(z)", false);
        int batch = (int) z0.batchSize();
        int[] steps = new int[batch];
        double[] lowest = new double[batch];
        List<double[]> trace = new ArrayList<>();
        double[] res = residuals(phase, it, stop.mode(), 0);
        trace.add(res);
        System.arraycopy(res, 0, lowest, 0, batch);
        afterStep.accept(it);
        boolean[] active = new boolean[batch];
        for (int i = 0; i < batch; i++) {
            active[i] = res[i] > stop.tol();
        }
        int evaluations = 1;
        for (int n = 1; n <= stop.maxSteps(); n++) {
            double[] now;
            try (MemoryWorkspace ws = Workspaces.iteration(WORKSPACE)) {
                ActiveSet set = ActiveSet.of(active, z0.dataType());
                if (set.isEmpty()) {
                    break;
                }
                solver.step(cell, x, it, set);
                now = residuals(phase, it, stop.mode(), n);
            }
            evaluations += solver.evaluationsPerStep();
            for (int i = 0; i < batch; i++) {
                if (active[i]) {
                    steps[i]++;
                    lowest[i] = Math.min(lowest[i], now[i]);
                    active[i] = now[i] > stop.tol();
                } else {
                    now[i] = res[i];
                }
            }
            res = now;
            trace.add(res);
            afterStep.accept(it);
        }
        return new Outcome<>(it, new SolverStats(steps, lowest, res.clone(), trace, evaluations, stop.tol()));
    }

    /** Per-sample residual of the iterate; throws if any sample is not finite. */
    static double[] residuals(String phase, Iterate it, StopMode mode, int step) {
        double[] abs = it.z().sampleDistances(it.fz()).toDoubleVector();
        double[] out = abs;
        if (mode == StopMode.RELATIVE) {
            INDArray norms = it.fz().sampleNorms();
            double[] n = norms.toDoubleVector();
            out = new double[abs.length];
            for (int i = 0; i < abs.length; i++) {
                out[i] = abs[i] / (RELATIVE_EPS + n[i]);
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (!Double.isFinite(out[i]) || !Double.isFinite(abs[i])) {
                throw new DivergenceException(phase, step, i);
            }
        }
        return out;
    }

    /** Throws if any sample of {@code s} holds NaN or Inf. */
    static void requireFinite(String phase, State s, int step) {
        double[] n = s.sampleNorms().toDoubleVector();
        for (int i = 0; i < n.length; i++) {
            if (!Double.isFinite(n[i])) {
                throw new DivergenceException(phase, step, i);
            }
        }
    }
}
