package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.InvalidTokenException;

/**
 * A count-based language model fitted on a training split's token ids: a baseline a trained model must
 * beat on the same tokens ({@link UnigramModel}, {@link KneserNeyModel}). It scores a token stream left
 * to right; implementations define the one method {@link #negativeLogLikelihood(int[])} and share the
 * arithmetic that turns it into per-token and per-byte figures. Log-likelihoods are in nats; bits per
 * byte in bits.
 */
public interface BaselineModel {

    /** Vocabulary size the model was fitted with: tokens are ids in {@code [0, vocabSize)}. */
    int vocabSize();

    /**
     * Total negative log-likelihood of {@code tokens}, in nats: the sum over the stream of
     * {@code -ln p(token | what the model conditions on)}, every token scored (the first one too).
     *
     * @throws InvalidTokenException if a token is outside the vocabulary
     */
    double negativeLogLikelihood(int[] tokens);

    /**
     * Mean negative log-likelihood per token, in nats.
     *
     * @throws InvalidConfigException if {@code tokens} is empty
     * @throws InvalidTokenException  if a token is outside the vocabulary
     */
    default double crossEntropy(int[] tokens) {
        if (tokens.length == 0) {
            throw new InvalidConfigException("cannot evaluate on an empty token sequence");
        }
        return negativeLogLikelihood(tokens) / tokens.length;
    }

    /** {@code exp(crossEntropy(tokens))}: the perplexity per token. */
    default double perplexity(int[] tokens) {
        return Math.exp(crossEntropy(tokens));
    }

    /**
     * Total negative log-likelihood in bits divided by the number of UTF-8 bytes the tokens stand for:
     * comparable across tokenizers (see {@link SplitTokens#textBytes()}).
     *
     * @throws InvalidConfigException if {@code bytes < 1}
     * @throws InvalidTokenException  if a token is outside the vocabulary
     */
    default double bitsPerByte(int[] tokens, long bytes) {
        if (bytes < 1) {
            throw new InvalidConfigException("byte count must be >= 1, got " + bytes);
        }
        return negativeLogLikelihood(tokens) / Math.log(2) / bytes;
    }

    /** Bits per byte on a split, using its own byte count. */
    default double bitsPerByte(SplitTokens split) {
        return bitsPerByte(split.tokens(), split.textBytes());
    }

    /**
     * {@code token}, checked against the vocabulary.
     *
     * @param position where the token stands, for the message
     * @throws InvalidTokenException if {@code token} is outside {@code [0, vocabSize)}
     */
    static int checkedToken(int token, int position, int vocabSize) {
        if (token < 0 || token >= vocabSize) {
            throw new InvalidTokenException("token id " + token + " at position " + position
                    + " is outside the vocabulary [0, " + vocabSize + ")");
        }
        return token;
    }
}
