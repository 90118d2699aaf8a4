package org.deq4j.lm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.lm.model.DeqTransformerLMTest;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final double[] P = {0.05, 0.2, 0.01, 0.3, 0.04, 0.15, 0.1, 0.05, 0.07, 0.03};

    @Test
    void onlyTopKTokensAreDrawn() {
        Sampler s = new Sampler(1.5, 3);
        SplittableRandom rng = new SplittableRandom(1);
        int[] counts = new int[P.length];
        for (int i = 0; i < 3000; i++) {
            counts[s.sample(P, rng)]++;
        }
        // the three most probable: ids 3 (0.3), 1 (0.2), 5 (0.15)
        for (int id = 0; id < P.length; id++) {
            boolean top = id == 3 || id == 1 || id == 5;
            assertTrue(top ? counts[id] > 0 : counts[id] == 0, "token " + id + " drawn " + counts[id] + " times");
        }
        // with temperature 1.5 the draws follow p^(1/1.5) renormalised over the top 3
        double w3 = Math.pow(0.3, 1 / 1.5);
        double total = w3 + Math.pow(0.2, 1 / 1.5) + Math.pow(0.15, 1 / 1.5);
        assertEquals(w3 / total, counts[3] / 3000.0, 0.03);
    }

    @Test
    void temperatureZeroIsGreedy() {
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < 10; i++) {
            assertEquals(3, new Sampler(0, 5).sample(P, rng));
        }
        assertEquals(3, new Sampler(1.0, 1).sample(P, rng));
        assertThrows(InvalidConfigException.class, () -> new Sampler(-1, 3));
        assertThrows(InvalidConfigException.class, () -> new Sampler(1, 0));
    }

    @Test
    void generationIsDeterministicForASeedAndRespectsTopK() {
        ComputationGraph g = DeqTransformerLM.create(DeqTransformerLMTest.tinyConfig(), GradientStrategy.REVERSIBLE, 3);
        TextGenerator gen = new TextGenerator(g);
        int[] prompt = {1, 2, 3};
        Sampler sampler = new Sampler(1.0, 2);
        int[] a = gen.generate(prompt, 12, sampler, 42, t -> { });
        int[] b = gen.generate(prompt, 12, sampler, 42, t -> { });
        assertArrayEquals(a, b);
        assertEquals(12, a.length);
        // each generated token is among the 2 most probable after its history (window slides past T = 5)
        int[] history = java.util.Arrays.copyOf(prompt, prompt.length + a.length);
        System.arraycopy(a, 0, history, prompt.length, a.length);
        for (int i = 0; i < a.length; i++) {
            double[] p = gen.nextTokenProbabilities(java.util.Arrays.copyOf(history, prompt.length + i));
            int token = a[i];
            long higher = java.util.Arrays.stream(p).filter(q -> q > p[token]).count();
            assertTrue(higher < 2, "token " + token + " at step " + i + " is not in the top 2");
        }
    }
}
