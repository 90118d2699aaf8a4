package org.deq4j.cli;

import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.eval.LanguageModelScore;

import java.util.LinkedHashMap;
import java.util.Map;

/** Shared helpers of the {@code lm} commands: batch size and reporting of scores. */
final class LmRuns {
    /** Results of {@code lm train}, written to the output directory. */
    static final String RESULTS_NAME = "lm-results.json";
    /** Evaluation batch size: windows per inference pass. */
    static final int EVAL_BATCH = 64;

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
}
