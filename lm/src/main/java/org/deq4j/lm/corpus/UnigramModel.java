package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.InvalidTokenException;

/**
 * The baseline a language model must beat: every token predicted by its training frequency, ignoring
 * context. Add-k smoothed, {@code p(t) = (count(t) + k) / (N + k V)} with {@code N} training tokens and
 * {@code V} the vocabulary size, so unseen ids (padding included) get a small non-zero probability.
 */
public final class UnigramModel {

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
            counts[checked(trainTokens[i], i, vocabSize)]++;
        }
        double logTotal = Math.log(trainTokens.length + k * vocabSize);
        double[] logProb = new double[vocabSize];
        for (int t = 0; t < vocabSize; t++) {
            logProb[t] = Math.log(counts[t] + k) - logTotal;
        }
        return new UnigramModel(logProb, k);
    }

    private static int checked(int token, int position, int vocabSize) {
        if (token < 0 || token >= vocabSize) {
            throw new InvalidTokenException("token id " + token + " at position " + position
                    + " is outside the vocabulary [0, " + vocabSize + ")");
        }
        return token;
    }

    /** Vocabulary size the model was fitted with. */
    public int vocabSize() {
        return logProb.length;
    }

    /** The smoothing constant. */
    public double k() {
        return k;
    }

    /** Natural-log probability of one token. */
    public double logProb(int token) {
        return logProb[checked(token, 0, logProb.length)];
    }

    /**
     * Total negative log-likelihood of {@code tokens}, in nats.
     *
     * @throws InvalidTokenException if a token is outside the vocabulary
     */
    public double negativeLogLikelihood(int[] tokens) {
        double sum = 0;
        for (int i = 0; i < tokens.length; i++) {
            sum -= logProb[checked(tokens[i], i, logProb.length)];
        }
        return sum;
    }

    /**
     * Mean negative log-likelihood per token, in nats.
     *
     * @throws InvalidConfigException if {@code tokens} is empty
     */
    public double crossEntropy(int[] tokens) {
        if (tokens.length == 0) {
            throw new InvalidConfigException("cannot evaluate on an empty token sequence");
        }
        return negativeLogLikelihood(tokens) / tokens.length;
    }

    /** {@code exp(crossEntropy(tokens))}: the perplexity per token. */
    public double perplexity(int[] tokens) {
        return Math.exp(crossEntropy(tokens));
    }

    /**
     * Total negative log-likelihood in bits divided by the number of UTF-8 bytes the tokens stand for:
     * comparable across tokenizers (see {@link SplitTokens#textBytes()}).
     *
     * @throws InvalidConfigException if {@code bytes < 1}
     */
    public double bitsPerByte(int[] tokens, long bytes) {
        if (bytes < 1) {
            throw new InvalidConfigException("byte count must be >= 1, got " + bytes);
        }
        return negativeLogLikelihood(tokens) / Math.log(2) / bytes;
    }

    /** Bits per byte on a split, using its own byte count. */
    public double bitsPerByte(SplitTokens split) {
        return bitsPerByte(split.tokens(), split.textBytes());
    }
}
