package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.lm.model.DeqLanguageModelConfig;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.lm.model.TransformerCell;
import org.deq4j.train.AdamW;
import org.deq4j.zoo.model.ImplicitResNet;
import org.deq4j.zoo.model.ZooPreset;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ArrayNode;

/**
 * The model builders' architectures with {@link AdamW#apply} equal the configurations the builders made
 * themselves before they stopped configuring the optimiser, when they called
 * {@code AdamW.configure(globalBuilder, lr, wd)} ({@code updater(new Adam(lr)).weightDecay(wd, true)
 * .weightDecayBias(wd, true)}) on DL4J's global builder.
 *
 * <p>The old configurations are the JSON files in {@code global-builder-adamw/}, written by
 * {@code ImplicitResNet.configuration(preset, gradient, seed, lr, wd).toJson()} and
 * {@code DeqTransformerLM.configuration(model, deq, seed, dataType).toJson()} at commit 6b4badd, the last
 * with AdamW in the model builders, with the arguments the tests below pass. They keep DL4J's duplicated
 * weight-decay entries, which the old pipeline removed from the built graph
 * ({@link AdamW#removeDuplicateRegularization}). For each model: equal JSON once those duplicates are
 * dropped, equal updater and regularisation per parameter, equal initial parameters and bit-identical
 * parameters and Adam state after two training steps.
 */
class GlobalBuilderAdamWTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 2;

    @Test
    void fashionCpu() {
        check("fashion-cpu", ImplicitResNet.configuration(ZooPreset.FASHION_CPU, GradientStrategy.REVERSIBLE, 42), 2e-3,
                1e-4, ImplicitResNet::build, images(ZooPreset.FASHION_CPU));
    }

    /** The single-DEQ network: its group normalisation is a SameDiff layer. */
    @Test
    void singleDeq() {
        check("single-deq", ImplicitResNet.configuration(ZooPreset.SINGLE_DEQ, GradientStrategy.REVERSIBLE, 5), 1e-3,
                1e-4, ImplicitResNet::build, images(ZooPreset.SINGLE_DEQ));
    }

    /** The language-model test's tiny float64 configuration, with weight decay 1e-4 instead of 0 so that there is some. */
    @Test
    void tinyLanguageModel() {
        DeqLanguageModelConfig tiny = new DeqLanguageModelConfig("tiny", "bytes+eot", 11, 5, 8, 2, 16, false,
                TransformerCell.DEFAULT_EPS, 0.5, 1e-300, 4, BATCH, 1e-2, 1e-4, 1);
        ComputationGraphConfiguration architecture = DeqTransformerLM.configuration(tiny,
                DeqTransformerLM.deqConfig(tiny, GradientStrategy.REVERSIBLE).toBuilder().precision(PrecisionPolicy.DOUBLE)
                        .build(), 7, DataType.DOUBLE);
        INDArray tokens = Nd4j.createFromArray(3, 1, 4, 1, 5, 9, 2, 6, 5, 3).reshape('c', BATCH, 5);
        INDArray next = Nd4j.createFromArray(1, 4, 1, 5, 9, 2, 6, 5, 3, 5).reshape('c', BATCH, 5, 1);
        check("lm-tiny", architecture, tiny.learningRate(), tiny.weightDecay(), DeqTransformerLM::create,
                new DataSet(tokens, next));
    }

    private static DataSet images(ZooPreset p) {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, p.inputChannels(), p.imageSize(), p.imageSize());
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, p.classes());
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, 3 * i + 1, 1);
        }
        return new DataSet(x, y);
    }

    private static void check(String name, ComputationGraphConfiguration architecture, double lr, double wd,
                              Function<ComputationGraphConfiguration, ComputationGraph> build, DataSet batch) {
        String oldJson = resource(name);
        ComputationGraphConfiguration configured = AdamW.apply(architecture, lr, wd);
        assertEquals(withoutDuplicateRegularization(tree(oldJson)), tree(configured.toJson()), name + " JSON");

        ComputationGraph old = build.apply(ComputationGraphConfiguration.fromJson(oldJson));
        ComputationGraph current = build.apply(configured);
        assertTrue(AdamW.removeDuplicateRegularization(old) > 0, name + ": the old configuration has DL4J's duplicates");
        assertEquals(0, AdamW.removeDuplicateRegularization(current), name + ": apply adds no duplicates");
        Map<String, AdamW.ParamSettings> settings = AdamW.paramSettings(current);
        assertEquals(AdamW.paramSettings(old), settings, name + " per-parameter settings");
        assertTrue(settings.values().stream().anyMatch(s -> !s.regularization().isEmpty()), name + ": some decay");

        assertArrayEquals(old.params().toDoubleVector(), current.params().toDoubleVector(), name + " initial");
        for (int step = 0; step < 2; step++) {
            old.fit(batch);
            current.fit(batch);
        }
        assertArrayEquals(old.params().toDoubleVector(), current.params().toDoubleVector(), name + " after 2 steps");
        assertArrayEquals(old.getUpdater().getStateViewArray().toDoubleVector(),
                current.getUpdater().getStateViewArray().toDoubleVector(), name + " Adam state");
    }

    private static String resource(String name) {
        try (InputStream in = GlobalBuilderAdamWTest.class.getResourceAsStream("global-builder-adamw/" + name + ".json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code node} with repeated equal entries of every "regularization" and "regularizationBias" list dropped, in place. */
    private static JsonNode withoutDuplicateRegularization(JsonNode node) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("regularization") && e.getValue() instanceof ArrayNode list) {
                List<JsonNode> unique = new ArrayList<>(new LinkedHashSet<>(entries(list)));
                list.removeAll();
                list.addAll(unique);
            }
        }
        node.elements().forEachRemaining(GlobalBuilderAdamWTest::withoutDuplicateRegularization);
        return node;
    }

    private static List<JsonNode> entries(ArrayNode list) {
        List<JsonNode> out = new ArrayList<>();
        list.elements().forEachRemaining(out::add);
        return out;
    }
}
