package org.deq4j.cli;

import org.deq4j.lm.corpus.BaselineModel;
import org.deq4j.lm.corpus.KneserNeyModel;
import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.corpus.UnigramModel;
import org.deq4j.lm.eval.LanguageModelScore;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Shared helpers of the {@code lm} commands: batch size and reporting of scores and baselines. */
final class LmRuns {
    /** Results of {@code lm train}, written to the output directory. */
    static final String RESULTS_NAME = "lm-results.json";
    /** Evaluation batch size: windows per inference pass. */
    static final int EVAL_BATCH = 64;
    /** Order of the Kneser-Ney baseline (the reports' {@code kneserNey5} block). */
    static final int KN_ORDER = 5;
    /**
     * The Kneser-Ney baseline is fitted on at most this many training tokens (the split's first ones), to
     * bound its heap: its tables hold every distinct n-gram up to order 5, which on Austen took about 140
     * bytes per GPT-2 token (many distinct 5-grams) and a few per byte token. Austen's training split (3.6M
     * byte tokens, 0.9M GPT-2 tokens) is fitted whole; WikiText-103's (about 117M GPT-2 tokens) is cut, so
     * that the baseline stays within the launcher's 4 GB heap.
     */
    static final int KN_MAX_TRAIN_TOKENS = 10_000_000;

    private LmRuns() {
    }

    /** A score as a JSON-ready map. */
    static Map<String, Object> scoreJson(LanguageModelScore s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", s.tokens());
        m.put("bytes", s.bytes());
        m.put("nllPerToken", s.nllPerToken());
        m.put("perplexity", s.perplexity());
        m.put("bitsPerByte", s.bitsPerByte());
        return m;
    }

    /** A split's description for reports. */
    static String describe(SplitTokens split) {
        return split.split().label() + " split: " + split.size() + " tokens, " + split.textBytes() + " bytes";
    }

    /**
     * The count-based baselines of a language model's report, fitted on the run's training split and scored
     * on the tokens the model was scored on: a unigram model (add-one) and an interpolated Kneser-Ney
     * {@value #KN_ORDER}-gram model.
     *
     * @param unigram             the unigram model's score
     * @param kneserNey           the Kneser-Ney model's score
     * @param kneserNeyTrainTokens training tokens the Kneser-Ney model was fitted on (at most
     *                            {@value #KN_MAX_TRAIN_TOKENS})
     */
    record Baselines(BaselineScore unigram, BaselineScore kneserNey, int kneserNeyTrainTokens) {

        /** Fits both baselines on {@code train} and scores them on all of {@code scored}'s tokens. */
        static Baselines fit(SplitTokens train, SplitTokens scored, int vocabSize) {
            int[] knTrain = train.size() > KN_MAX_TRAIN_TOKENS ? Arrays.copyOf(train.tokens(), KN_MAX_TRAIN_TOKENS)
                    : train.tokens();
            return new Baselines(BaselineScore.of(UnigramModel.fit(train.tokens(), vocabSize), scored),
                    BaselineScore.of(KneserNeyModel.fit(knTrain, vocabSize, KN_ORDER), scored), knTrain.length);
        }

        /** The Kneser-Ney block of the JSON reports: order, training tokens, perplexity, bits per byte. */
        Map<String, Object> kneserNeyJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("order", KN_ORDER);
            m.put("trainTokens", kneserNeyTrainTokens);
            m.putAll(kneserNey.json());
            return m;
        }

        /** Both scores for the text reports. */
        String describe() {
            return String.format(Locale.ROOT, "unigram perplexity %.3f, %.3f bits/byte; Kneser-Ney %d-gram perplexity"
                            + " %.3f, %.3f bits/byte", unigram.perplexity(), unigram.bitsPerByte(),
                    KN_ORDER, kneserNey.perplexity(), kneserNey.bitsPerByte());
        }
    }

    /** A baseline's perplexity per token and bits per byte on a split. */
    record BaselineScore(double perplexity, double bitsPerByte) {

        static BaselineScore of(BaselineModel model, SplitTokens scored) {
            return new BaselineScore(model.perplexity(scored.tokens()), model.bitsPerByte(scored));
        }

        /** As a JSON-ready map. */
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("perplexity", perplexity);
            m.put("bitsPerByte", bitsPerByte);
            return m;
        }
    }
}
