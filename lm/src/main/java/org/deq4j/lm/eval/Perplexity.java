package org.deq4j.lm.eval;

import org.deq4j.train.Metric;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Per-token perplexity {@code exp(total NLL / tokens)} over all batches, as a {@link Metric} for the
 * {@link org.deq4j.train.Trainer} (training-batch column and per-epoch evaluation). Expects the language
 * model's output [batch, T, vocab] and labels [batch, T(, 1)] of next-token ids.
 */
public final class Perplexity implements Metric {

    /** The shared instance (the metric is stateless). */
    public static final Perplexity INSTANCE = new Perplexity();

    private Perplexity() {
    }

    @Override
    public String name() {
        return "perplexity";
    }

    @Override
    public Accumulator start() {
        TokenNll sum = new TokenNll();
        return new Accumulator() {
            @Override
            public void add(INDArray output, DataSet batch) {
                sum.add(output, batch.getLabels());
            }

            @Override
            public double value() {
                return sum.tokens() == 0 ? Double.NaN : Math.exp(sum.nll() / sum.tokens());
            }
        };
    }
}
