package org.deq4j.core.solver;

import java.util.Arrays;
import java.util.List;

/**
 * Per-sample statistics of one solve. Residuals are in the units of the solve's {@link StopMode}.
 *
 * @param steps           solver steps each sample took before it converged or ran out of budget
 * @param lowestResidual  lowest residual each sample reached (at the initial point or after any step)
 * @param finalResidual   residual of each sample's returned iterate
 * @param trace           residual of every sample after the initial evaluation (entry 0) and after
 *                        each step (entry n); a frozen sample repeats its last value
 * @param cellEvaluations cell evaluations of the whole batch spent by the solve
 * @param tol             the tolerance the solve stopped at
 */
public record SolverStats(int[] steps, double[] lowestResidual, double[] finalResidual, List<double[]> trace,
        int cellEvaluations, double tol) {

    public SolverStats {
        trace = List.copyOf(trace);
    }

    /** Number of samples. */
    public int batchSize() {
        return steps.length;
    }

    /** Whether sample {@code i} ended with residual at most the tolerance. */
    public boolean converged(int i) {
        return finalResidual[i] <= tol;
    }

    /** Number of samples that converged. */
    public long convergedCount() {
        return Arrays.stream(finalResidual).filter(r -> r <= tol).count();
    }

    /** The most steps any sample took: the number of steps the batch loop ran. */
    public int maxSteps() {
        return Arrays.stream(steps).max().orElse(0);
    }

    /** Mean steps per sample. */
    public double meanSteps() {
        return Arrays.stream(steps).average().orElse(0);
    }

    /** Largest final residual over the batch. */
    public double maxFinalResidual() {
        return Arrays.stream(finalResidual).max().orElse(0);
    }

    @Override
    public String toString() {
        return String.format("SolverStats[batch=%d, steps max %d mean %.2f, converged %d, max residual %.3e,"
                + " evaluations %d]", batchSize(), maxSteps(), meanSteps(), convergedCount(), maxFinalResidual(),
                cellEvaluations);
    }
}
