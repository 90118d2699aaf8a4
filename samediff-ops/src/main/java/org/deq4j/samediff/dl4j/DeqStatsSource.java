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
import org.deq4j.core.diag.DeqMonitor;
import org.deq4j.core.diag.SolveSummary;
import org.deq4j.core.diag.SpectralRadius;
import org.deq4j.core.solver.SolverStats;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DEQ vertex or layer at run time, as far as its solver statistics go: what the most recent solve
 * and backward pass spent, and counters that tell whether they are new; and the inference-time hooks
 * diagnostics and warm starts need: keeping a solve's fixed point, the spectral radius at it, and
 * starting the next solve from a given state. {@link #monitor} bundles a model's DEQs for a trainer.
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

    /** Cell evaluations of every solve so far (training and inference), e.g. for an evaluation's cost. */
    long forwardCellEvaluations();

    /** Number of backward passes so far. */
    long backwardCount();

    /**
     * {@code λ·R}, the Jacobian-regularisation term ({@link org.deq4j.core.reg.JacobianRegularization})
     * the most recent training forward added to the loss through this DEQ's gradients; empty when it
     * did not apply one (regularisation off, or skipped by its frequency).
     */
    OptionalDouble lastJacobianPenalty();

    /**
     * The next inference solve keeps a copy of its input and fixed point (in the state type), for
     * {@link #keptFixedPoint()} and {@link #spectralRadius}; later solves keep nothing until armed again.
     */
    void keepNextFixedPoint();

    /**
     * The fixed point of the last solve {@link #keepNextFixedPoint()} armed, shaped [batch, ...]; valid until
     * the next armed solve, which reuses the array when the shape repeats (copy it to keep it longer).
     */
    Optional<INDArray> keptFixedPoint();

    /**
     * Per-sample spectral radius ρ(∂f/∂z) at the kept fixed point ({@link SpectralRadius}, power
     * iteration on cell VJPs; dimensionless; below 1 where the fixed-point iteration contracts).
     *
     * @param samples    the kept batch's first samples to estimate on (all of them if it has fewer)
     * @param iterations power iterations, at least 2 (each one cell VJP on those samples)
     * @throws IllegalStateException if no fixed point is kept
     */
    double[] spectralRadius(int samples, int iterations, long seed);

    /**
     * A warm start: the next inference solve starts from {@code z0} (copied now, cast to the state
     * type) instead of zero. Training solves always start from zero.
     *
     * @param z0 shaped like the fixed point, with the next input's batch size (checked by that solve)
     * @throws org.deq4j.core.InvalidConfigException if the execution cannot start elsewhere (the RevDEQ op
     *         starts from zero; use {@link DeqExecution#CORE_ENGINE})
     */
    void startNextInferenceFrom(INDArray z0);

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
        return monitor(model)::cellEvaluationsLastStep;
    }

    /**
     * The monitor a trainer reads ({@code TrainerConfig.Builder.stepStats(g -> StepStatsSource.of(
     * DeqStatsSource.monitor(g)))}): per step the cell evaluations ({@link #lastStepCellEvaluations}) and
     * the residuals, steps and drift of the training solves, and on demand the spectral radius at the
     * fixed points of an inference pass. A DEQ that has not solved yet is left out; all are empty for a
     * model without DEQs.
     */
    static DeqMonitor monitor(Model model) {
        List<DeqStatsSource> deqs = in(model);
        return new DeqMonitor() {
            @Override
            public OptionalDouble cellEvaluationsLastStep() {
                return cellEvaluations(deqs);
            }

            @Override
            public OptionalDouble jacobianPenaltyLastStep() {
                return lastStepJacobianPenalty(model).get();
            }

            @Override
            public Optional<SolveSummary> lastStep() {
                List<SolveSummary> parts = new ArrayList<>();
                for (DeqStatsSource v : deqs) {
                    v.lastForwardStats().ifPresent(f -> parts.add(SolveSummary.of(f,
                            v.lastBackwardStats().map(BackwardStats::drift).orElse(OptionalDouble.empty()))));
                }
                return parts.isEmpty() ? Optional.empty() : Optional.of(SolveSummary.combine(parts));
            }

            @Override
            public OptionalDouble spectralRadius(Runnable inference, int samples, int iterations) {
                deqs.forEach(DeqStatsSource::keepNextFixedPoint);
                long[] before = deqs.stream().mapToLong(DeqStatsSource::forwardCount).toArray();
                inference.run();
                double sum = 0;
                int n = 0;
                for (int i = 0; i < deqs.size(); i++) {
                    if (deqs.get(i).forwardCount() != before[i]) {
                        // a fixed seed for the start vector: one model and batch give one estimate
                        for (double rho : deqs.get(i).spectralRadius(samples, iterations, 0x5EC7)) {
                            sum += rho;
                            n++;
                        }
                    }
                }
                return n == 0 ? OptionalDouble.empty() : OptionalDouble.of(sum / n);
            }
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

    private static OptionalDouble cellEvaluations(List<DeqStatsSource> deqs) {
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
    }
}
