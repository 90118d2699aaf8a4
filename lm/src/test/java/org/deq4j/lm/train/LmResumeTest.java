package org.deq4j.lm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;

import org.deq4j.core.GradientStrategy;
import org.deq4j.lm.corpus.TokenWindows;
import org.deq4j.lm.corpus.WindowDataSetIterator;
import org.deq4j.lm.eval.Perplexity;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.lm.model.DeqTransformerLMTest;
import org.deq4j.train.ProgressMode;
import org.deq4j.train.Trainer;
import org.deq4j.train.TrainerConfig;
import org.deq4j.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A language-model run stopped after 3 steps and resumed continues to step 6 from the saved state. */
class LmResumeTest {

    @Test
    void resumedRunContinues(@TempDir Path dir) {
        SplittableRandom rng = new SplittableRandom(9);
        int[] tokens = new int[200];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(DeqTransformerLMTest.VOCAB);
        }
        var model = DeqTransformerLMTest.tinyConfig();
        TrainerConfig first = config(dir, 3);
        Trainer t1 = Trainer.create(DeqTransformerLM.create(model, GradientStrategy.REVERSIBLE, 1), first);
        TrainingResult r1 = t1.fit(iterator(tokens));
        assertEquals(3, r1.steps());
        INDArray after3 = t1.graph().params().dup();

        Trainer t2 = Trainer.resume(config(dir, 6));
        assertEquals(after3, t2.graph().params(), "the checkpoint restores the parameters");
        TrainingResult r2 = t2.fit(iterator(tokens));
        assertEquals(6, r2.steps());
        assertEquals(6, t2.metrics().rows().stream().filter(r -> r.kind() == org.deq4j.train.MetricRow.Kind.TRAIN).count());
        assertTrue(t2.graph().params().sub(after3).norm2Number().doubleValue() > 0, "training continued");
    }

    private static TrainerConfig config(Path dir, long steps) {
        return TrainerConfig.create(dir, b -> b.maxSteps(steps).learningRate(1e-2).metric(Perplexity.INSTANCE)
                .metricEvery(2).plot(false).progress(System.out, ProgressMode.OFF)
                .throughput("tokens", ds -> ds.getLabels().length()));
    }

    private static WindowDataSetIterator iterator(int[] tokens) {
        WindowDataSetIterator it = WindowDataSetIterator.builder(new TokenWindows(tokens, DeqTransformerLMTest.T, "test"),
                DeqTransformerLMTest.VOCAB).batchSize(4).seed(3).build();
        it.setPreProcessor(DeqTransformerLM.labelsPreProcessor());
        return it;
    }
}
