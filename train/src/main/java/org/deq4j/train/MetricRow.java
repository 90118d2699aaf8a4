package org.deq4j.train;

import java.util.Objects;

/**
 * One row of the training log: a training step or an end-of-epoch evaluation. Unknown values are
 * NaN (doubles) or -1 (byte counts) and appear as empty CSV cells.
 *
 * @param kind       {@code TRAIN} or {@code EVAL}
 * @param step       global step count after the step (train) or at the evaluation (eval)
 * @param epoch      completed epochs before the step (train) or after the epoch (eval)
 * @param loss       training loss of the step, without the weight-decay term (NaN for eval rows)
 * @param lr         learning rate used by the step
 * @param metric     the configured metric: on the step's batch before its update (only every
 *                   {@code metricEvery} steps) or over the evaluation data
 * @param throughput items per second for the step, batch loading included (NaN for eval rows)
 * @param cellEvals  cell evaluations of the step, from the {@link StepStatsSource}
 * @param heapBytes  {@link MemoryUsage#heap()} after the step
 * @param rssBytes  {@link MemoryUsage#rss()} after the step
 * @param solver     the DEQ solver columns: the step's (train) or the epoch's (eval)
 * @param jacPenalty the Jacobian-regularisation term {@code λ·R} the step added to the loss (not part of
 *                   {@code loss}), from the {@link StepStatsSource}; NaN when the step applied none
 */
public record MetricRow(Kind kind, long step, int epoch, double loss, double lr, double metric, double throughput,
        double cellEvals, long heapBytes, long rssBytes, SolverDiagnostics solver, double jacPenalty) {

    public MetricRow {
        Objects.requireNonNull(solver, "solver");
    }

    /** A row without solver columns ({@link SolverDiagnostics#NONE}) or Jacobian penalty. */
    public MetricRow(Kind kind, long step, int epoch, double loss, double lr, double metric, double throughput,
            double cellEvals, long heapBytes, long rssBytes) {
        this(kind, step, epoch, loss, lr, metric, throughput, cellEvals, heapBytes, rssBytes, SolverDiagnostics.NONE,
                Double.NaN);
    }

    /** Row kinds. */
    public enum Kind {
        TRAIN, EVAL
    }
}
