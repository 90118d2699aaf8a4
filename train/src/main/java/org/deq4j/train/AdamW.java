package org.deq4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * AdamW for DL4J 1.0.0-M2.1, which has no AdamW updater: {@link Adam} plus DL4J's {@code WeightDecay}
 * regularisation with {@code applyLR = true}. {@code WeightDecay} is applied after the updater
 * ({@code ApplyStep.POST_UPDATER}), so the step is {@code Δθ = lr·adam(g) + lr·wd·θ}: the decay is
 * decoupled from the adaptive moments, as in AdamW (checked against a hand-written AdamW in
 * {@code AdamWTest}). Note DL4J's Adam puts ε outside the bias correction
 * ({@code lr·sqrt(1-β2^t)/(1-β1^t)·m/(sqrt(v)+ε)}), a negligible difference from PyTorch's form.
 *
 * <p><b>DL4J 1.0.0-M2.1 bug</b>: a global {@code weightDecay} is attached twice to every layer
 * ({@code copyConfigToLayer} copies it, then {@code LayerValidation.configureBaseLayer} appends it
 * again), doubling the decay. {@link #removeDuplicateRegularization} repairs a built graph; the
 * {@link Trainer} calls it on every graph it trains, and so must anyone who trains a graph configured
 * by {@link #configure} outside the trainer.
 *
 * <p>Also the single place that changes learning rates in place, {@link #setLearningRate}.
 */
public final class AdamW {

    /** The paper's learning rate, 3e-4. */
    public static final double DEFAULT_LEARNING_RATE = 3e-4;
    /** The paper's weight decay, 1e-4. */
    public static final double DEFAULT_WEIGHT_DECAY = 1e-4;

    private AdamW() {
    }

    /**
     * Sets AdamW on a configuration builder: {@code updater(new Adam(lr))} and decoupled weight decay
     * {@code wd} on weights and biases (PyTorch's and optax's AdamW decay every parameter).
     *
     * @return {@code builder}
     * @throws InvalidConfigException if {@code lr <= 0} or {@code wd < 0}
     */
    public static NeuralNetConfiguration.Builder configure(NeuralNetConfiguration.Builder builder, double lr, double wd) {
        if (!(lr > 0) || !(wd >= 0)) {
            throw new InvalidConfigException("AdamW needs lr > 0 and weight decay >= 0, got lr=" + lr + ", wd=" + wd);
        }
        builder.updater(new Adam(lr));
        if (wd > 0) {
            builder.weightDecay(wd, true).weightDecayBias(wd, true);
        }
        return builder;
    }

    /**
     * Removes repeated, equal regularisation entries from every parameter of {@code graph}, in place
     * (see the class comment for the DL4J bug that creates them). Idempotent.
     *
     * @return the number of entries removed
     */
    public static int removeDuplicateRegularization(ComputationGraph graph) {
        Set<List<Regularization>> done = Collections.newSetFromMap(new IdentityHashMap<>());
        int removed = 0;
        for (GraphVertex v : graph.getVertices()) {
            TrainingConfig config = v.numParams() > 0 ? v.getConfig() : null;
            if (config == null) {
                continue;
            }
            for (String param : v.paramTable(false).keySet()) {
                List<Regularization> list = config.getRegularizationByParam(param);
                if (list == null || !done.add(list)) {
                    continue;
                }
                List<Regularization> unique = new ArrayList<>(new LinkedHashSet<>(list));
                if (unique.size() < list.size()) {
                    removed += list.size() - unique.size();
                    list.clear();
                    list.addAll(unique);
                }
            }
        }
        return removed;
    }

    /**
     * Sets the learning rate of every parameter's updater in {@code graph} (layers and parameterised
     * vertices, weights and biases) to {@code lr}, replacing schedules. The updater objects are
     * changed in place, which DL4J's gradient updaters and {@code WeightDecay} read at every step, so
     * the new rate applies from the next step on and the updater state (Adam moments) is untouched;
     * unlike {@code ComputationGraph.setLearningRate} this also covers bias updaters and SameDiff
     * vertices, and rebuilds nothing.
     *
     * @throws InvalidConfigException if {@code lr} is not positive and finite
     */
    public static void setLearningRate(ComputationGraph graph, double lr) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new InvalidConfigException("learning rate must be positive and finite, got " + lr);
        }
        Set<IUpdater> done = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GraphVertex v : graph.getVertices()) {
            TrainingConfig config = v.numParams() > 0 ? v.getConfig() : null;
            if (config == null) {
                continue;
            }
            for (String param : v.paramTable(false).keySet()) {
                IUpdater u = config.getUpdaterByParam(param);
                if (u != null && u.hasLearningRate() && done.add(u)) {
                    u.setLrAndSchedule(lr, null);
                }
            }
        }
    }
}
