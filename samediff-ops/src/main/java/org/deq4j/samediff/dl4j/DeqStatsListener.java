package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.function.Consumer;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.diag.SolveSummary;
import org.deq4j.core.solver.SolverStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DL4J training listener that records, after every training iteration, what each
 * {@link DeqVertex} of a {@link ComputationGraph} (or {@link DeqLayer} of a {@link MultiLayerNetwork}) spent: mean and largest solver steps, converged
 * samples, mean and largest final residual, the reversible backward's drift, cell evaluations in
 * the forward solve and the backward pass, and the Jacobian-regularisation term when one was applied;
 * and at the end of every epoch a summary per vertex ({@link EpochStats}). Optionally logs them (SLF4J,
 * INFO) every {@code logFrequency} iterations and at every epoch end, and hands each record to user
 * callbacks.
 *
 * <pre>{@code
 * DeqStatsListener stats = new DeqStatsListener(10, it -> {}, epoch -> dashboard.add(epoch));
 * net.setListeners(stats);
 * net.fit(data);
 * double steps = stats.meanSteps("deq").orElseThrow();
 * }</pre>
 *
 * Iterations in which a vertex did not solve (no new forward pass) are not recorded for it. Callbacks
 * run on the training thread, inside DL4J's listener call. Not thread-safe: attach one listener to one
 * network. (The spectral radius needs an extra inference pass; the trainer computes it per epoch, see
 * {@link DeqStatsSource#monitor}.)
 */
public final class DeqStatsListener extends BaseTrainingListener {
    private static final Logger LOG = LoggerFactory.getLogger(DeqStatsListener.class);

    /**
     * One vertex's costs in one iteration.
     *
     * @param iteration           DL4J iteration count
     * @param epoch               DL4J epoch count
     * @param vertex              vertex or layer name ({@link DeqStatsSource#deqName()})
     * @param meanSteps           mean solver steps per sample
     * @param maxSteps            most steps any sample took
     * @param converged           samples whose final residual is within the tolerance
     * @param batchSize           samples in the batch
     * @param meanResidual        mean final residual (the solve's stop-mode units)
     * @param maxResidual         largest final residual
     * @param drift               drift of this iteration's reversible backward pass, if one ran
     * @param forwardEvaluations  cell evaluations (whole batch) of the forward solve
     * @param backwardEvaluations cell evaluations of the backward pass (Jacobian-penalty probes
     *                            included); 0 if there was none
     * @param jacobianPenalty     {@code λ·R} added to the loss by Jacobian regularisation
     *                            ({@link DeqStatsSource#lastJacobianPenalty()}); NaN if the step applied none
     */
    public record IterationStats(int iteration, int epoch, String vertex, double meanSteps, int maxSteps,
            long converged, int batchSize, double meanResidual, double maxResidual, OptionalDouble drift,
            int forwardEvaluations, int backwardEvaluations, double jacobianPenalty) {
    }

    /**
     * One vertex's iterations of one epoch, summarised.
     *
     * @param epoch        DL4J epoch count of the epoch that ended
     * @param vertex       vertex or layer name
     * @param iterations   iterations recorded for the vertex in the epoch
     * @param meanResidual mean over iterations of the mean final residual
     * @param maxResidual  largest final residual of the epoch
     * @param meanSteps    mean over iterations of the mean solver steps
     * @param meanDrift    mean drift over the iterations that had a reversible backward pass
     */
    public record EpochStats(int epoch, String vertex, int iterations, double meanResidual, double maxResidual,
            double meanSteps, OptionalDouble meanDrift) {
    }

    private final int logFrequency;
    private final Consumer<IterationStats> onIteration;
    private final Consumer<EpochStats> onEpoch;
    private final List<IterationStats> history = new ArrayList<>();
    private final List<EpochStats> epochs = new ArrayList<>();
    private final Map<String, long[]> seen = new HashMap<>();
    /** Index in {@link #history} of the current epoch's first record. */
    private int epochStart;

    /** Records without logging. */
    public DeqStatsListener() {
        this(0);
    }

    /** Records, and logs every {@code logFrequency} iterations (0: never). */
    public DeqStatsListener(int logFrequency) {
        this(logFrequency, s -> { }, s -> { });
    }

    /**
     * Records, logs every {@code logFrequency} iterations (0: never, epoch summaries included), and
     * passes every record to the callbacks.
     *
     * @throws IllegalArgumentException if {@code logFrequency} is negative
     */
    public DeqStatsListener(int logFrequency, Consumer<IterationStats> onIteration, Consumer<EpochStats> onEpoch) {
        if (logFrequency < 0) {
            throw new IllegalArgumentException("log frequency must be non-negative, got " + logFrequency);
        }
        this.logFrequency = logFrequency;
        this.onIteration = Objects.requireNonNull(onIteration, "onIteration");
        this.onEpoch = Objects.requireNonNull(onEpoch, "onEpoch");
    }

    @Override
    public void onEpochEnd(Model model) {
        Map<String, List<IterationStats>> byVertex = new LinkedHashMap<>();
        for (IterationStats s : history.subList(epochStart, history.size())) {
            byVertex.computeIfAbsent(s.vertex(), k -> new ArrayList<>()).add(s);
        }
        epochStart = history.size();
        byVertex.forEach((vertex, its) -> {
            OptionalDouble drift = its.stream().filter(s -> s.drift().isPresent())
                    .mapToDouble(s -> s.drift().getAsDouble()).average();
            EpochStats e = new EpochStats(its.get(0).epoch(), vertex, its.size(),
                    its.stream().mapToDouble(IterationStats::meanResidual).average().orElseThrow(),
                    its.stream().mapToDouble(IterationStats::maxResidual).max().orElseThrow(),
                    its.stream().mapToDouble(IterationStats::meanSteps).average().orElseThrow(), drift);
            epochs.add(e);
            if (logFrequency > 0) {
                LOG.info("epoch {} vertex '{}' ({} iterations): steps mean {}, residual mean {} max {}, drift {}",
                        e.epoch(), vertex, e.iterations(), String.format("%.2f", e.meanSteps()),
                        String.format("%.3e", e.meanResidual()), String.format("%.3e", e.maxResidual()),
                        e.meanDrift().isPresent() ? String.format("%.3e", e.meanDrift().getAsDouble()) : "-");
            }
            onEpoch.accept(e);
        });
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        for (DeqStatsSource v : DeqStatsSource.in(model)) {
            record(v, iteration, epoch);
        }
    }

    private void record(DeqStatsSource v, int iteration, int epoch) {
        long[] last = seen.computeIfAbsent(v.deqName(), k -> new long[2]);
        if (v.forwardCount() == last[0] || v.lastForwardStats().isEmpty()) {
            return;
        }
        SolverStats f = v.lastForwardStats().get();
        int backward = v.backwardCount() != last[1] ? v.lastBackwardStats().map(BackwardStats::cellEvaluations).orElse(0)
                : 0;
        last[0] = v.forwardCount();
        last[1] = v.backwardCount();
        OptionalDouble drift = backward > 0 ? v.lastBackwardStats().map(BackwardStats::drift)
                .orElse(OptionalDouble.empty()) : OptionalDouble.empty();
        SolveSummary summary = SolveSummary.of(f, drift);
        IterationStats s = new IterationStats(iteration, epoch, v.deqName(), f.meanSteps(), f.maxSteps(),
                f.convergedCount(), f.batchSize(), summary.meanResidual(), f.maxFinalResidual(), drift,
                f.cellEvaluations(), backward, v.lastJacobianPenalty().orElse(Double.NaN));
        history.add(s);
        if (logFrequency > 0 && iteration % logFrequency == 0) {
            LOG.info("iteration {} vertex '{}': steps mean {} max {}, converged {}/{}, max residual {},"
                    + " cell evaluations forward {} backward {}{}", iteration, s.vertex(),
                    String.format("%.2f", s.meanSteps()), s.maxSteps(), s.converged(), s.batchSize(),
                    String.format("%.3e", s.maxResidual()), s.forwardEvaluations(), s.backwardEvaluations(),
                    Double.isNaN(s.jacobianPenalty()) ? ""
                            : String.format(", Jacobian penalty %.3e", s.jacobianPenalty()));
        }
        onIteration.accept(s);
    }

    /** Everything recorded, in order. */
    public List<IterationStats> history() {
        return List.copyOf(history);
    }

    /** The epoch summaries so far, in order. */
    public List<EpochStats> epochs() {
        return List.copyOf(epochs);
    }

    /** Mean over recorded iterations of the vertex's mean solver steps; empty if none was recorded. */
    public OptionalDouble meanSteps(String vertex) {
        return history.stream().filter(s -> s.vertex().equals(vertex)).mapToDouble(IterationStats::meanSteps)
                .average();
    }

    /** Mean over recorded iterations of the vertex's cell evaluations, forward plus backward. */
    public OptionalDouble meanCellEvaluations(String vertex) {
        return history.stream().filter(s -> s.vertex().equals(vertex))
                .mapToDouble(s -> s.forwardEvaluations() + s.backwardEvaluations()).average();
    }

    /** Forgets everything recorded. */
    public void reset() {
        history.clear();
        epochs.clear();
        epochStart = 0;
    }
}
