package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.train.AdamW;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The whole language model on a tiny float64 configuration: layout, causality, gradients, training. */
public class DeqTransformerLMTest {
    public static final int VOCAB = 11;
    public static final int T = 5;
    static final int BATCH = 2;

    /** d 8, 2 heads, MLP 16, T 5, vocabulary 11, β 0.5, 4 steps that always run (tol 1e-300). */
    public static DeqLanguageModelConfig tinyConfig() {
        return new DeqLanguageModelConfig("tiny", "bytes+eot", VOCAB, T, 8, 2, 16, false, TransformerCell.DEFAULT_EPS,
                0.5, 1e-300, 4, BATCH, 1e-2, 0, 1);
    }

    static ComputationGraph model(GradientStrategy strategy) {
        return model(DeqTransformerLM.deqConfig(tinyConfig(), strategy));
    }

    /** The tiny model in float64 with {@code deq}'s solver and adjoint, and the configuration's AdamW. */
    static ComputationGraph model(DeqConfig deq) {
        DeqLanguageModelConfig tiny = tinyConfig();
        return DeqTransformerLM.create(AdamW.apply(DeqTransformerLM.configuration(tiny,
                deq.toBuilder().precision(PrecisionPolicy.DOUBLE).build(), 7, DataType.DOUBLE), tiny.learningRate(),
                tiny.weightDecay()));
    }

    static INDArray randomTokens(long seed, int batch) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[batch * T];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(VOCAB);
        }
        return Nd4j.createFromArray(ids).reshape('c', batch, T);
    }

    static DataSet batch(long seed) {
        DataSet ds = new DataSet(randomTokens(seed, BATCH), randomTokens(seed + 100, BATCH));
        DeqTransformerLM.labelsPreProcessor().preProcess(ds);
        return ds;
    }

    @Test
    void outputIsNwcProbabilities() {
        ComputationGraph g = model(GradientStrategy.REVERSIBLE);
        INDArray out = g.outputSingle(randomTokens(1, BATCH));
        assertArrayEquals(new long[] {BATCH, T, VOCAB}, out.shape());
        INDArray sums = out.sum(2);
        assertTrue(sums.sub(1.0).amaxNumber().doubleValue() < 1e-12, "probabilities over the vocabulary sum to 1: " + sums);
        assertEquals(T, DeqTransformerLM.contextLength(g));
        assertEquals(VOCAB, DeqTransformerLM.vocabSize(g));
    }

    /** Changing token k changes no output at positions < k (bit for bit) and does change position k. */
    @Test
    void causalEndToEnd() {
        ComputationGraph g = model(GradientStrategy.REVERSIBLE);
        INDArray tokens = randomTokens(2, BATCH);
        INDArray base = g.outputSingle(tokens).dup();
        for (int k = 0; k < T; k++) {
            INDArray changed = tokens.dup();
            for (int b = 0; b < BATCH; b++) {
                changed.putScalar(b, k, (tokens.getInt(b, k) + 1 + b) % VOCAB);
            }
            INDArray out = g.outputSingle(changed);
            for (int t = 0; t < T; t++) {
                INDArray before = base.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all());
                INDArray after = out.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all());
                if (t < k) {
                    assertEquals(before, after, "position " + t + " changed when token " + k + " changed");
                } else if (t == k) {
                    assertFalse(before.equalsWithEps(after, 1e-12), "position " + k + " ignores its own token");
                }
            }
        }
    }

    /**
     * The whole model's gradient (every parameter) is the same with the reversible adjoint and with
     * backpropagation through the same reversible iteration.
     */
    @Test
    void reversibleGradientsEqualUnrolled() {
        DataSet ds = batch(3);
        DeqConfig revdeq = DeqTransformerLM.deqConfig(tinyConfig(), GradientStrategy.REVERSIBLE);
        INDArray reversible = gradient(model(revdeq), ds);
        INDArray unrolled = gradient(model(revdeq.toBuilder().adjoint(new UnrolledAdjoint()).build()), ds);
        double rel = reversible.sub(unrolled).norm2Number().doubleValue() / unrolled.norm2Number().doubleValue();
        assertTrue(unrolled.norm2Number().doubleValue() > 0);
        assertTrue(rel < 1e-9, "relative difference " + rel);
        // every part of the model receives gradient: embedding, positions, cell, head
        ComputationGraph g = model(GradientStrategy.REVERSIBLE);
        g.setInputs(ds.getFeatures());
        g.setLabels(ds.getLabels());
        g.computeGradientAndScore();
        for (String v : new String[] {DeqTransformerLM.EMBED, DeqTransformerLM.POSITION, DeqTransformerLM.DEQ,
                DeqTransformerLM.HEAD}) {
            double n = g.gradient().gradientForVariable().entrySet().stream()
                    .filter(e -> e.getKey().startsWith(v + "_"))
                    .mapToDouble(e -> e.getValue().norm2Number().doubleValue()).sum();
            assertTrue(n > 0, "no gradient reaches " + v + ": " + g.gradient().gradientForVariable().keySet());
        }
    }

    /**
     * DL4J's score of an RnnOutputLayer sums the loss over time steps and averages over the batch: T times the
     * mean over batch·T positions of -log p(label), computed here from the outputs.
     */
    @Test
    void lossIsMeanTokenCrossEntropy() {
        ComputationGraph g = model(GradientStrategy.REVERSIBLE);
        DataSet ds = batch(4);
        INDArray p = g.outputSingle(ds.getFeatures());
        double nll = 0;
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < T; t++) {
                nll -= Math.log(p.getDouble(b, t, ds.getLabels().getInt(b, t, 0)));
            }
        }
        assertEquals(nll / BATCH, g.score(ds), 1e-10);
    }

    /** The perplexity metric over a batch is exp(mean token NLL) = exp(DL4J score / T). */
    @Test
    void perplexityMetricMatchesTheScore() {
        ComputationGraph g = model(GradientStrategy.REVERSIBLE);
        DataSet ds = batch(6);
        org.deq4j.train.Metric.Accumulator acc = org.deq4j.lm.eval.Perplexity.INSTANCE.start();
        acc.add(g.outputSingle(ds.getFeatures()), ds);
        assertEquals(Math.exp(g.score(ds) / T), acc.value(), 1e-9 * acc.value());
    }

    @Test
    void trainingLowersTheLoss() {
        ComputationGraph g = model(GradientStrategy.REVERSIBLE);
        DataSet ds = batch(5);
        double before = g.score(ds);
        for (int i = 0; i < 30; i++) {
            g.fit(ds);
        }
        double after = g.score(ds);
        assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
    }

    private static INDArray gradient(ComputationGraph g, DataSet ds) {
        g.setInputs(ds.getFeatures());
        g.setLabels(ds.getLabels());
        g.computeGradientAndScore();
        return g.gradient().gradient().dup();
    }
}
