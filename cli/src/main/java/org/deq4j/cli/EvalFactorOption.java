package org.deq4j.cli;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.solver.EvalBudget;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.deq4j.train.compat.OneDnnLayerHelpers;

import picocli.CommandLine.Option;

/**
 * The {@code --eval-factor} option of the commands that evaluate a trained model ({@code eval}, {@code lm eval},
 * {@code lm generate}; a picocli mixin): the DEQ layers' inference solves take ⌈factor · trained steps⌉
 * steps, torchdeq's {@code eval_factor}. It changes the evaluation, not the checkpoint.
 */
final class EvalFactorOption {
    @Option(names = "--eval-factor", description = "Inference solves take ceil(factor x the trained step budget)"
            + " steps, torchdeq's eval_factor (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    private double factor;

    /**
     * The budget asked for.
     *
     * @throws InvalidConfigException if the factor is not positive and finite
     */
    EvalBudget budget() {
        try {
            return new EvalBudget.Scaled(factor);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("--eval-factor: " + e.getMessage());
        }
    }

    /** {@code graph} itself for factor 1, else a copy whose DEQ vertices have the evaluation budget. */
    ComputationGraph apply(ComputationGraph graph) {
        EvalBudget budget = budget();
        if (budget.isSame()) {
            return graph;
        }
        ComputationGraph copy = DeqVertex.reconfigured(graph,
                v -> v.with(v.deqConfig().toBuilder().eval(budget).build(), v.execution()));
        OneDnnLayerHelpers.install(copy);
        return copy;
    }
}
