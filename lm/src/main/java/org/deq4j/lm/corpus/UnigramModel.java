package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.InvalidTokenException;

/**
 * The baseline a language model must beat: every token predicted by its training frequency, ignoring
 * context. Add-k smoothed, {@code p(t) = (count(t) + k) / (N + k V)} with {@code N} training tokens and
 * {@code V} the vocabulary size, so unseen ids (padding included) get a small non-zero probability.
 * Every token is scored alone, so {@link #negativeLogLikelihood(int[])} does not depend on the order.
 */
public final class UnigramModel implements BaselineModel {

    private final double[] logProb;
    private final double k;

    private UnigramModel(double[] logProb, double k) {
        this.logProb = logProb;
        this.k = k;
    }

    /** Add-one (Laplace) smoothing. */
    public static UnigramModel fit(int[] trainTokens, int vocabSize) {
        return fit(trainTokens, vocabSize, 1.0);
    }

    /**
     * Counts {@code trainTokens} and smooths with {@code k}.
     *
     * @throws InvalidConfigException if {@code vocabSize < 1} or {@code k <= 0}
     * @throws InvalidTokenException  if a token is outside {@code [0, vocabSize)}
     */
    public static UnigramModel fit(int[] trainTokens, int vocabSize, double k) {
        if (vocabSize < 1) {
            throw new InvalidConfigException("vocabulary size must be >= 1, got " + vocabSize);
        }
        if (!(k > 0) || Double.isInfinite(k)) {
            throw new InvalidConfigException("smoothing k must be a positive finite number, got " + k);
        }
        long[] counts = new long[vocabSize];
        for (int i = 0; i < trainTokens.length; i++) {
            counts[BaselineModel.checkedToken(trainTokens[i], i, vocabSize)]++;
        }
        double logTotal = Math.log(trainTokens.length + k * vocabSize);
        double[] logProb = new double[vocabSize];
        for (int t = 0; t < vocabSize; t++) {
            logProb[t] = Math.log(counts[t] + k) - logTotal;
        }
        return new UnigramModel(logProb, k);
    }

    @Override
    public int vocabSize() {
        return logProb.length;
    }

    /** The smoothing constant. */
    public double k() {
        return k;
    }

    /** Natural-log probability of one token. */
    public double logProb(int token) {
        return logProb[BaselineModel.checkedToken(token, 0, logProb.length)];
    }

    @Override
    public double negativeLogLikelihood(int[] tokens) {
        double sum = 0;
        for (int i = 0; i < tokens.length; i++) {
            sum -= logProb[BaselineModel.checkedToken(tokens[i], i, logProb.length)];
        }
        return sum;
    }
}
