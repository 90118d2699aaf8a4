package org.deq4j.lm.eval;

/**
 * A language model's loss over a split.
 *
 * @param tokens predicted tokens
 * @param nll    their total negative log-likelihood, in nats
 * @param bytes  UTF-8 bytes of text those tokens stand for (see {@link LanguageModelEvaluator})
 */
public record LanguageModelScore(long tokens, double nll, double bytes) {

    /** Mean NLL per token, in nats. */
    public double nllPerToken() {
        return nll / tokens;
    }

    /** Per-token perplexity, {@code exp(nll / tokens)}. */
    public double perplexity() {
        return Math.exp(nllPerToken());
    }

    /** Bits per byte: {@code nll / ln 2 / bytes}. */
    public double bitsPerByte() {
        return nll / Math.log(2) / bytes;
    }
}
