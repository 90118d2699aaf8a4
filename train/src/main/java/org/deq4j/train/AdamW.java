package org.deq4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * AdamW for DL4J 1.0.0-M2.1, which has no AdamW updater: {@link Adam} plus DL4J's {@code WeightDecay}
 * regularisation with {@code applyLR = true}. {@code WeightDecay} is applied after the updater
 * ({@code ApplyStep.POST_UPDATER}), so the step is {@code Δθ = lr·adam(g) + lr·wd·θ}: the decay is
 * decoupled from the adaptive moments, as in AdamW (checked against a hand-written AdamW in
 * {@code AdamWTest}). Note DL4J's Adam puts ε outside the bias correction
 * ({@code lr·sqrt(1-β2^t)/(1-β1^t)·m/(sqrt(v)+ε)}), a negligible difference from PyTorch's form.
 *
 * <p>The optimiser belongs to training, not to the model: model builders describe an architecture
 * (layers, vertices, initialisation, data type) and {@link #apply} puts AdamW on a copy of it, on every
 * parameter, before the graph is built.
 *
 * <p><b>DL4J 1.0.0-M2.1 bug</b>: a {@code weightDecay} set on the global {@code NeuralNetConfiguration.Builder}
 * is attached twice to every layer ({@code copyConfigToLayer} copies it, then
 * {@code LayerValidation.configureBaseLayer} appends it again), doubling the decay. {@link #apply} sets
 * each layer's list itself and so never creates the duplicates; {@link #removeDuplicateRegularization}
 * repairs graphs configured through the global builder (and checkpoints written from them), and the
 * {@link Trainer} calls it on every graph it trains.
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
     * A copy of {@code architecture} (made by {@link ComputationGraphConfiguration#clone()}) that trains with
     * AdamW: every layer and parameterised vertex gets {@code new Adam(lr)} for its weights and biases and
     * decoupled weight decay {@code wd} on weights and biases (PyTorch's and optax's AdamW decay every
     * parameter; DL4J's batch normalisation still exempts its own parameters). The result equals what
     * {@code updater(new Adam(lr)).weightDecay(wd, true).weightDecayBias(wd, true)} on the global builder
     * gives once {@link #removeDuplicateRegularization} has removed DL4J's duplicates. Updaters,
     * bias updaters and regularisation set on single layers or vertices are replaced; everything else
     * (initialisation, data type, gradient normalisation) is kept. {@code architecture} is not changed.
     *
     * <p>Supported: {@link BaseLayer}s, SameDiff layers ({@link AbstractSameDiffLayer}), SameDiff vertices
     * ({@link SameDiffVertex}, such as DEQ vertices) and wrappers of these ({@link BaseWrapperLayer},
     * {@link FrozenLayer}, whose parameters stay frozen).
     *
     * @param lr learning rate, the Adam step size (the {@link Trainer} replaces it by its own schedule)
     * @param wd decoupled weight decay per unit learning rate; 0 for none
     * @return the configured copy
     * @throws InvalidConfigException if {@code lr} is not positive and finite, {@code wd} is negative or not
     *         finite, or a vertex or layer with parameters is of another kind (naming it)
     */
    public static ComputationGraphConfiguration apply(ComputationGraphConfiguration architecture, double lr, double wd) {
        if (!(lr > 0) || Double.isInfinite(lr) || !(wd >= 0) || Double.isInfinite(wd)) {
            throw new InvalidConfigException("AdamW needs a finite lr > 0 and weight decay >= 0, got lr=" + lr
                    + ", wd=" + wd);
        }
        ComputationGraphConfiguration conf = architecture.clone();
        for (Map.Entry<String, org.deeplearning4j.nn.conf.graph.GraphVertex> e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv) {
                applyToLayer(e.getKey(), lv.getLayerConf().getLayer(), lr, wd);
            } else if (e.getValue() instanceof SameDiffVertex v) {
                set(lr, wd, v::setUpdater, v::setBiasUpdater, v::setRegularization, v::setRegularizationBias);
            } else if (e.getValue().numParams(true) > 0) {
                throw unsupported(e.getKey(), e.getValue());
            }
        }
        return conf;
    }

    private static void applyToLayer(String vertex, Layer layer, double lr, double wd) {
        if (layer instanceof BaseLayer l) {
            set(lr, wd, l::setIUpdater, l::setBiasUpdater, l::setRegularization, l::setRegularizationBias);
        } else if (layer instanceof AbstractSameDiffLayer l) {
            set(lr, wd, l::setUpdater, l::setBiasUpdater, l::setRegularization, l::setRegularizationBias);
        } else if (layer instanceof BaseWrapperLayer l) {
            applyToLayer(vertex, l.getUnderlying(), lr, wd);
        } else if (layer instanceof FrozenLayer l) {
            applyToLayer(vertex, l.getLayer(), lr, wd);
        } else if (layer.initializer().numParams(layer) > 0) {
            throw unsupported(vertex, layer);
        }
    }

    /** The four optimiser settings of one layer or vertex, through its setters (DL4J's types share no interface for them). */
    private static void set(double lr, double wd, Consumer<IUpdater> updater, Consumer<IUpdater> biasUpdater,
                            Consumer<List<Regularization>> regularization, Consumer<List<Regularization>> regularizationBias) {
        updater.accept(new Adam(lr));
        // null: biases use the weights' updater, as with the global builder (getUpdaterByParam falls back to it)
        biasUpdater.accept(null);
        regularization.accept(decay(wd));
        regularizationBias.accept(decay(wd));
    }

    /** A new mutable list per layer and kind, as the global builder makes them: DL4J may append to it. */
    private static List<Regularization> decay(double wd) {
        List<Regularization> list = new ArrayList<>();
        if (wd > 0) {
            list.add(new WeightDecay(wd, true));
        }
        return list;
    }

    private static InvalidConfigException unsupported(String vertex, Object conf) {
        return new InvalidConfigException("AdamW.apply cannot configure vertex '" + vertex + "' ("
                + conf.getClass().getName() + "): it has parameters but is not a BaseLayer, SameDiff layer,"
                + " SameDiff vertex or wrapper of one");
    }

    /**
     * The optimiser settings of every parameter of {@code graph}, by DL4J key ({@code vertex_param}), in
     * graph order: snapshots, so changing them changes nothing in the graph.
     */
    public static Map<String, ParamSettings> paramSettings(ComputationGraph graph) {
        Map<String, ParamSettings> out = new LinkedHashMap<>();
        forEachParam(graph, (v, config, param) -> {
            IUpdater u = config.getUpdaterByParam(param);
            List<Regularization> r = config.getRegularizationByParam(param);
            out.put(v.getVertexName() + "_" + param, new ParamSettings(u == null ? null : u.clone(),
                    r == null ? List.of() : List.copyOf(r)));
        });
        return out;
    }

    /**
     * One parameter's optimiser settings.
     *
     * @param updater        its updater, {@code null} if DL4J gives it none
     * @param regularization its regularisation, in the order DL4J applies it; empty for none
     */
    public record ParamSettings(IUpdater updater, List<Regularization> regularization) {
    }

    /**
     * Removes repeated, equal regularisation entries from every parameter of {@code graph}, in place
     * (see the class comment for the DL4J bug that creates them). Idempotent.
     *
     * @return the number of entries removed
     */
    public static int removeDuplicateRegularization(ComputationGraph graph) {
        Set<List<Regularization>> done = Collections.newSetFromMap(new IdentityHashMap<>());
        int[] removed = {0};
        forEachParam(graph, (v, config, param) -> {
            List<Regularization> list = config.getRegularizationByParam(param);
            if (list == null || !done.add(list)) {
                return;
            }
            List<Regularization> unique = new ArrayList<>(new LinkedHashSet<>(list));
            if (unique.size() < list.size()) {
                removed[0] += list.size() - unique.size();
                list.clear();
                list.addAll(unique);
            }
        });
        return removed[0];
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
        forEachParam(graph, (v, config, param) -> {
            IUpdater u = config.getUpdaterByParam(param);
            if (u != null && u.hasLearningRate() && done.add(u)) {
                u.setLrAndSchedule(lr, null);
            }
        });
    }

    /** What {@link #forEachParam} visits: one parameter of a vertex, with the vertex's training configuration. */
    private interface ParamVisitor {
        void visit(GraphVertex vertex, TrainingConfig config, String param);
    }

    /** Visits every parameter of every layer and parameterised vertex of {@code graph}, in graph order. */
    private static void forEachParam(ComputationGraph graph, ParamVisitor visitor) {
        for (GraphVertex v : graph.getVertices()) {
            TrainingConfig config = v.numParams() > 0 ? v.getConfig() : null;
            if (config == null) {
                continue;
            }
            for (String param : v.paramTable(false).keySet()) {
                visitor.visit(v, config, param);
            }
        }
    }
}
