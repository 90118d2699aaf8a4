package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Supplier;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.solver.SolverStats;

/**
 * A DEQ vertex or layer at run time, as far as its solver statistics go: what the most recent solve
 * and backward pass spent, and counters that tell whether they are new.
 */
public interface DeqStatsSource {

    /** The vertex or layer name. */
    String deqName();

    /** Statistics of the most recent solve (training or inference), if any. */
    Optional<SolverStats> lastForwardStats();

    /** Statistics of the most recent backward pass, if any. */
    Optional<BackwardStats> lastBackwardStats();

    /** Number of solves so far. */
    long forwardCount();

    /** Number of backward passes so far. */
    long backwardCount();

    /**
     * {@code λ·R}, the Jacobian-regularisation term ({@link org.deq4j.core.reg.JacobianRegularization})
     * the most recent training forward added to the loss through this DEQ's gradients; empty when it
     * did not apply one (regularisation off, or skipped by its frequency).
     */
    OptionalDouble lastJacobianPenalty();

    /**
     * The DEQ vertices and layers of a model, in graph order: {@link DeqVertex} vertices and
     * {@link DeqLayer} layers of a {@link ComputationGraph} (inside their layer vertices), or the
     * {@link DeqLayer} layers of a {@link MultiLayerNetwork}. Empty for other models.
     */
    static List<DeqStatsSource> in(Model model) {
        List<DeqStatsSource> found = new ArrayList<>();
        if (model instanceof ComputationGraph graph) {
            for (GraphVertex gv : graph.getVertices()) {
                if (gv instanceof DeqStatsSource v) {
                    found.add(v);
                } else if (gv.hasLayer() && gv.getLayer() instanceof DeqStatsSource v) {
                    found.add(v);
                }
            }
        } else if (model instanceof MultiLayerNetwork net) {
            for (Layer l : net.getLayers()) {
                if (l instanceof DeqStatsSource v) {
                    found.add(v);
                }
            }
        }
        return List.copyOf(found);
    }

    /**
     * The solver work of a model's DEQ vertices and layers ({@link #in}), for a trainer's per-step
     * report (in {@code org.deq4j.train}: {@code stepStats(g -> DeqStatsSource.lastStepCellEvaluations(g)::get)}):
     * for each, the cell evaluations of its most recent solve plus those of its most recent backward
     * pass. Empty while no DEQ has solved yet, and always for a model without DEQs.
     */
    static Supplier<OptionalDouble> lastStepCellEvaluations(Model model) {
        List<DeqStatsSource> deqs = in(model);
        return () -> {
            double total = 0;
            boolean any = false;
            for (DeqStatsSource v : deqs) {
                if (v.lastForwardStats().isPresent()) {
                    any = true;
                    total += v.lastForwardStats().get().cellEvaluations();
                    total += v.lastBackwardStats().map(BackwardStats::cellEvaluations).orElse(0);
                }
            }
            return any ? OptionalDouble.of(total) : OptionalDouble.empty();
        };
    }

    /**
     * The Jacobian-regularisation terms {@code λ·R} of the most recent training step, summed over the
     * model's DEQ vertices and layers ({@link #in}): what the step added to the loss on top of the
     * network's score. Empty when no DEQ applied one.
     */
    static Supplier<OptionalDouble> lastStepJacobianPenalty(Model model) {
        List<DeqStatsSource> deqs = in(model);
        return () -> {
            double total = 0;
            boolean any = false;
            for (DeqStatsSource v : deqs) {
                OptionalDouble p = v.lastJacobianPenalty();
                if (p.isPresent()) {
                    any = true;
                    total += p.getAsDouble();
                }
            }
            return any ? OptionalDouble.of(total) : OptionalDouble.empty();
        };
    }
}
