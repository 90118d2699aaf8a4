package org.deq4j.lm.eval;

import java.util.Arrays;

import org.deq4j.core.ShapeMismatchException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Running sum of the negative log-likelihood (natural log) of next-token labels under a language model's
 * output probabilities, and the number of tokens it covers. Not thread-safe.
 */
public final class TokenNll {
    /** Probabilities are clamped to this before the log, so a float32 underflow to 0 costs a finite 103 nats. */
    public static final double MIN_PROBABILITY = Float.MIN_VALUE;

    private double nll;
    private long tokens;

    /**
     * Adds a batch.
     *
     * @param probabilities [batch, T, vocab] (NWC) next-token probabilities
     * @param labels        [batch, T] or [batch, T, 1] next-token ids
     * @throws ShapeMismatchException if the shapes do not fit together or a label is outside the vocabulary
     */
    public void add(INDArray probabilities, INDArray labels) {
        if (probabilities.rank() != 3 || labels.length() != probabilities.size(0) * probabilities.size(1)
                || labels.size(0) != probabilities.size(0)) {
            throw new ShapeMismatchException("expected probabilities [batch, T, vocab] and labels [batch, T(, 1)], got "
                    + Arrays.toString(probabilities.shape()) + " and " + Arrays.toString(labels.shape()));
        }
        int vocab = (int) probabilities.size(2);
        double[] p = probabilities.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int[] ids = labels.castTo(DataType.INT32).dup('c').data().asInt();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new ShapeMismatchException("label " + ids[i] + " is outside the vocabulary of " + vocab);
            }
            nll -= Math.log(Math.max(p[i * vocab + ids[i]], MIN_PROBABILITY));
        }
        tokens += ids.length;
    }

    /** Total negative log-likelihood in nats. */
    public double nll() {
        return nll;
    }

    /** Tokens added. */
    public long tokens() {
        return tokens;
    }
}
