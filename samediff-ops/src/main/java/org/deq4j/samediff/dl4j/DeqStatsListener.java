package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.solver.SolverStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DL4J training listener that records, after every training iteration, what each
 * {@link DeqVertex} of a {@link ComputationGraph} (or {@link DeqLayer} of a {@link MultiLayerNetwork}) spent: mean and largest solver steps, converged
 * samples, largest final residual, cell evaluations in the forward solve and the backward pass, and
 * the Jacobian-regularisation term when one was applied.
 * Optionally logs them (SLF4J, INFO) every {@code logFrequency} iterations.
 *
 * <pre>{@code
 * DeqStatsListener stats = new DeqStatsListener(10);
 * net.setListeners(stats);
 * net.fit(data);
 * double steps = stats.meanSteps("deq").orElseThrow();
 * }</pre>
 *
 * Iterations in which a vertex did not solve (no new forward pass) are not recorded for it. Not
 * thread-safe: attach one listener to one network.
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
     * @param maxResidual         largest final residual
     * @param forwardEvaluations  cell evaluations (whole batch) of the forward solve
     * @param backwardEvaluations cell evaluations of the backward pass (Jacobian-penalty probes
     *                            included); 0 if there was none
     * @param jacobianPenalty     {@code λ·R} added to the loss by Jacobian regularisation
     *                            ({@link DeqStatsSource#lastJacobianPenalty()}); NaN if the step applied none
     */
    public record IterationStats(int iteration, int epoch, String vertex, double meanSteps, int maxSteps,
            long converged, int batchSize, double maxResidual, int forwardEvaluations, int backwardEvaluations,
            double jacobianPenalty) {
    }

    private final int logFrequency;
    private final List<IterationStats> history = new ArrayList<>();
    private final Map<String, long[]> seen = new HashMap<>();

    /** Records without logging. */
    public DeqStatsListener() {
        this(0);
    }

    /** Records, and logs every {@code logFrequency} iterations (0: never). */
    public DeqStatsListener(int logFrequency) {
        if (logFrequency < 0) {
            throw new IllegalArgumentException("log frequency must be non-negative, got " + logFrequency);
        }
        this.logFrequency = logFrequency;
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
        IterationStats s = new IterationStats(iteration, epoch, v.deqName(), f.meanSteps(), f.maxSteps(),
                f.convergedCount(), f.batchSize(), f.maxFinalResidual(), f.cellEvaluations(), backward,
                v.lastJacobianPenalty().orElse(Double.NaN));
        history.add(s);
        if (logFrequency > 0 && iteration % logFrequency == 0) {
            LOG.info("iteration {} vertex '{}': steps mean {} max {}, converged {}/{}, max residual {},"
                    + " cell evaluations forward {} backward {}{}", iteration, s.vertex(),
                    String.format("%.2f", s.meanSteps()), s.maxSteps(), s.converged(), s.batchSize(),
                    String.format("%.3e", s.maxResidual()), s.forwardEvaluations(), s.backwardEvaluations(),
                    Double.isNaN(s.jacobianPenalty()) ? ""
                            : String.format(", Jacobian penalty %.3e", s.jacobianPenalty()));
        }
    }

    /** Everything recorded, in order. */
    public List<IterationStats> history() {
        return List.copyOf(history);
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
    }
}
