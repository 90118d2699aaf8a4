package org.deq4j.lm.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.model.DeqTransformerLM;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Autoregressive generation with a {@link DeqTransformerLM}. The model's context length T is fixed, so the
 * window slides: each new token is predicted from the last T tokens of prompt plus generated text. A
 * history shorter than T is right-padded (with token 0) and the prediction read at its last real position;
 * by causality the padding cannot influence it. Each token costs one full inference pass (T positions);
 * there is no key/value cache, as a DEQ's equilibrium at every position changes with the window.
 * Deterministic for a given seed.
 */
public final class TextGenerator {
    private final ComputationGraph graph;
    private final int context;
    private final int vocab;

    /** A generator for {@code graph}. */
    public TextGenerator(ComputationGraph graph) {
        this.graph = graph;
        this.context = DeqTransformerLM.contextLength(graph);
        this.vocab = DeqTransformerLM.vocabSize(graph);
    }

    /**
     * The next-token probabilities after {@code history} (its last T tokens).
     *
     * @throws InvalidConfigException if the history is empty or holds an id outside the vocabulary
     */
    public double[] nextTokenProbabilities(int[] history) {
        if (history.length == 0) {
            throw new InvalidConfigException("generation needs at least one token of history");
        }
        int used = Math.min(history.length, context);
        int[] window = new int[context];
        System.arraycopy(history, history.length - used, window, 0, used);
        for (int id : window) {
            if (id < 0 || id >= vocab) {
                throw new InvalidConfigException("token id " + id + " is outside the model's vocabulary of " + vocab);
            }
        }
        INDArray out = graph.outputSingle(Nd4j.createFromArray(window).reshape(1, context));
        return out.get(NDArrayIndex.point(0), NDArrayIndex.point(used - 1), NDArrayIndex.all()).castTo(DataType.DOUBLE)
                .toDoubleVector();
    }

    /**
     * Generates {@code count} tokens after {@code prompt}.
     *
     * @param onToken called with each token as it is drawn (e.g. to stream text), may do nothing
     * @return the generated tokens (without the prompt)
     * @throws InvalidConfigException if the prompt is empty or the count negative
     */
    public int[] generate(int[] prompt, int count, Sampler sampler, long seed, IntConsumer onToken) {
        if (count < 0) {
            throw new InvalidConfigException("token count must be >= 0, got " + count);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[] all = Arrays.copyOf(prompt, prompt.length + count);
        for (int i = 0; i < count; i++) {
            int next = sampler.sample(nextTokenProbabilities(Arrays.copyOf(all, prompt.length + i)), rng);
            all[prompt.length + i] = next;
            onToken.accept(next);
        }
        return Arrays.copyOfRange(all, prompt.length, all.length);
    }
}
