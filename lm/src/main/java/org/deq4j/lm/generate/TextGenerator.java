package org.deq4j.lm.generate;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.samediff.dl4j.DeqExecution;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.samediff.dl4j.DeqVertex;
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
 *
 * <p><b>Warm starts</b> ({@link #warmStarted}): each token's solve starts from the previous token's fixed
 * point instead of zero, arranged so that every position starts from the state of the same token:
 * <ul>
 * <li>While the history is shorter than T, the window only grows: the new token replaces padding at
 * position L−1 and positions before it see exactly the tokens they saw. The cell is causal (position t
 * attends to positions ≤ t only), so the fixed point restricted to positions &lt; L−1 is the previous one
 * exactly: those positions start at their answer. Positions ≥ L−1 (the new token and the padding after
 * it) start from zero, as in a cold solve.</li>
 * <li>Once the window slides, the token at new position t sat at old position t+1, but its context has
 * lost the dropped first token: the previous fixed point shifted by one position is a start close to the
 * new fixed point, not equal to it (the closer the further the dropped token is, in attention terms).
 * The new last position starts from zero.</li>
 * </ul>
 * A {@link Session} checks which case holds by comparing the windows, and solves from zero when the new
 * history is not the previous one plus a token.
 * A warm start changes where a solve stops, not what it solves for: with a tolerance the solver reaches
 * it in fewer steps; with a budget that ends before the tolerance (the paper's 4 steps) the cost is the
 * same and the result is closer to the fixed point than a cold solve's, so a warm-started generation can
 * differ from a cold one by the cold solve's own error. Warm starts need the DEQ on the core engine
 * ({@link DeqTransformerLM#withInferenceSettings}); the RevDEQ op always starts from zero.
 */
public final class TextGenerator {
    private final ComputationGraph graph;
    private final int context;
    private final int vocab;
    private final DeqStatsSource deq;
    private final boolean warm;
    private long cellEvaluations;

    /** A generator for {@code graph}, each solve starting from zero. */
    public TextGenerator(ComputationGraph graph) {
        this(graph, false);
    }

    private TextGenerator(ComputationGraph graph, boolean warm) {
        this.graph = graph;
        this.context = DeqTransformerLM.contextLength(graph);
        this.vocab = DeqTransformerLM.vocabSize(graph);
        this.deq = DeqTransformerLM.deq(graph);
        this.warm = warm;
    }

    /**
     * A generator whose solves start from the previous token's fixed point (see the class comment).
     *
     * @throws InvalidConfigException if the model's DEQ does not run on the core engine
     */
    public static TextGenerator warmStarted(ComputationGraph graph) {
        DeqVertex v = (DeqVertex) graph.getConfiguration().getVertices().get(DeqTransformerLM.DEQ);
        if (v == null || v.execution().resolve(v.deqConfig()) != DeqExecution.CORE_ENGINE) {
            throw new InvalidConfigException("warm-started generation needs the DEQ on the core engine; use"
                    + " DeqTransformerLM.withInferenceSettings(graph, eval, true)");
        }
        return new TextGenerator(graph, true);
    }

    /** Cell evaluations of every solve this generator ran so far (whole batch of one window each). */
    public long cellEvaluations() {
        return cellEvaluations;
    }

    /**
     * The next-token probabilities after {@code history} (its last T tokens), solved from zero.
     *
     * @throws InvalidConfigException if the history is empty or holds an id outside the vocabulary
     */
    public double[] nextTokenProbabilities(int[] history) {
        return new Session(false).next(history);
    }

    /**
     * A session of successive predictions: each history is usually the previous one plus a token, and a
     * warm-started generator's session starts each solve from the previous fixed point then (and from
     * zero when the history is anything else).
     */
    public Session session() {
        return new Session(warm);
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
        Session session = session();
        for (int i = 0; i < count; i++) {
            int length = prompt.length + i;
            int next = sampler.sample(session.next(Arrays.copyOf(all, length)), rng);
            all[length] = next;
            onToken.accept(next);
        }
        return Arrays.copyOfRange(all, prompt.length, all.length);
    }

    /** Successive predictions of one generator; see {@link #session()}. Not thread-safe. */
    public final class Session {
        private final boolean warmStarts;
        private int[] previousWindow;
        private int previousUsed;
        private INDArray previousFixedPoint;

        private Session(boolean warmStarts) {
            this.warmStarts = warmStarts;
        }

        /**
         * The next-token probabilities after {@code history} (its last T tokens).
         *
         * @throws InvalidConfigException if the history is empty or holds an id outside the vocabulary
         */
        public double[] next(int[] history) {
            if (history.length == 0) {
                throw new InvalidConfigException("generation needs at least one token of history");
            }
            int used = Math.min(history.length, context);
            int[] window = new int[context];
            System.arraycopy(history, history.length - used, window, 0, used);
            for (int id : window) {
                if (id < 0 || id >= vocab) {
                    throw new InvalidConfigException("token id " + id + " is outside the model's vocabulary of "
                            + vocab);
                }
            }
            if (warmStarts) {
                start(window, used).ifPresent(deq::startNextInferenceFrom);
                deq.keepNextFixedPoint();
            }
            INDArray out = graph.outputSingle(Nd4j.createFromArray(window).reshape(1, context));
            cellEvaluations += deq.lastForwardStats().orElseThrow().cellEvaluations();
            if (warmStarts) {
                previousWindow = window;
                previousUsed = used;
                previousFixedPoint = deq.keptFixedPoint().orElseThrow();
            }
            return out.get(NDArrayIndex.point(0), NDArrayIndex.point(used - 1), NDArrayIndex.all())
                    .castTo(DataType.DOUBLE).toDoubleVector();
        }

        /** The previous fixed point, arranged for this window, if the window extends the previous one by a token. */
        private Optional<INDArray> start(int[] window, int used) {
            if (previousWindow == null) {
                return Optional.empty();
            }
            if (used == previousUsed + 1 && Arrays.equals(window, 0, previousUsed, previousWindow, 0, previousUsed)) {
                // grown: positions before the new token saw these tokens; the rest start cold
                return Optional.of(arranged(previousFixedPoint, 0, previousUsed));
            }
            if (used == context && previousUsed == context
                    && Arrays.equals(window, 0, context - 1, previousWindow, 1, context)) {
                // slid by one: position t takes old position t+1's state; the new last position starts cold
                return Optional.of(arranged(previousFixedPoint, 1, context - 1));
            }
            return Optional.empty();
        }
    }

    /** Zeros of z's shape [1, T, d] with positions [0, count) taken from z's positions [from, from + count). */
    private static INDArray arranged(INDArray z, int from, int count) {
        INDArray s = Nd4j.zeros(z.dataType(), z.shape());
        s.get(NDArrayIndex.all(), NDArrayIndex.interval(0, count), NDArrayIndex.all())
                .assign(z.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + count), NDArrayIndex.all()));
        return s;
    }
}
