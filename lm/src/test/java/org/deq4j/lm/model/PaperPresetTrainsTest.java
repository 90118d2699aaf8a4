package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The paper's WikiText-103 model (d 768, 12 heads, MLP 3072-3072, GPT-2 vocabulary padded to 50,304)
 * takes a real training step on the reversible strategy, at batch 1 with a context of 16 tokens instead
 * of 448 (the parameters are the same but for the position table): the loss is finite and the AdamW
 * update changes it.
 */
class PaperPresetTrainsTest {
    private static final int T = 16;

    @Test
    void wikitext103PaperTakesATrainingStep() {
        DeqLanguageModelConfig p = DeqLanguageModelConfig.preset("wikitext103-paper");
        DeqLanguageModelConfig model = new DeqLanguageModelConfig(p.name(), p.tokenizer(), p.vocabSize(), T, p.dModel(),
                p.heads(), p.mlpHidden(), p.twoHiddenLayers(), p.layerNormEps(), p.beta(), p.tol(), p.maxSteps(), 1,
                p.learningRate(), p.weightDecay(), p.epochs());
        ComputationGraph g = DeqTransformerLM.create(model, GradientStrategy.REVERSIBLE, 1);
        assertEquals(model.parameterCount(), g.params().length(), "the counted parameters are the built ones");
        SplittableRandom rng = new SplittableRandom(3);
        int[] ids = new int[T + 1];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(50257); // GPT-2's real vocabulary; the padding ids never occur
        }
        INDArray tokens = Nd4j.createFromArray(java.util.Arrays.copyOf(ids, T)).reshape(1, T);
        INDArray next = Nd4j.createFromArray(java.util.Arrays.copyOfRange(ids, 1, T + 1)).reshape(1, T);
        DataSet batch = new DataSet(tokens, next);
        DeqTransformerLM.labelsPreProcessor().preProcess(batch);
        double before = g.score(batch, true);
        g.fit(batch);
        double after = g.score(batch, true);
        assertTrue(Double.isFinite(before) && Double.isFinite(after), "loss " + before + " -> " + after);
        assertTrue(before / T > Math.log(50304) - 1, "an untrained model is near uniform: " + before / T);
        assertNotEquals(before, after, "the update changed nothing");
    }
}
