package org.deq4j.lm.eval;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.corpus.TokenWindows;
import org.deq4j.lm.corpus.WindowDataSetIterator;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.train.Evaluator;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Scores a {@link DeqTransformerLM} on a split: the split's tokens are cut into non-overlapping windows of
 * the model's context length ({@link TokenWindows}, every token after the first predicted once, the
 * incomplete tail dropped), run in inference mode, and the NLL of every next token is summed.
 *
 * <p>Bits per byte need the bytes those tokens stand for. The windows cover {@code targetTokens} of the
 * split's {@code n} tokens, so they are credited with {@code textBytes · targetTokens / n} bytes: the
 * split's bytes per token times the tokens scored. (The uncovered tail is shorter than one window.)
 * {@link org.deq4j.lm.corpus.UnigramModel#bitsPerByte(SplitTokens)} divides by all of {@code textBytes},
 * over all tokens, which is the same ratio.
 */
public final class LanguageModelEvaluator {

    private LanguageModelEvaluator() {
    }

    /**
     * @param batchSize windows per forward pass
     * @throws InvalidConfigException if the batch size is not positive
     * @throws org.deq4j.lm.corpus.CorpusTooSmallException if the split holds less than one window
     */
    public static LanguageModelScore evaluate(ComputationGraph graph, SplitTokens split, int batchSize) {
        return evaluate(graph, split, batchSize, Integer.MAX_VALUE);
    }

    /**
     * As {@link #evaluate(ComputationGraph, SplitTokens, int)} on the split's first {@code maxWindows} windows
     * only (the first {@code maxWindows · T + 1} tokens; bytes credited in proportion), for quick estimates.
     *
     * @throws InvalidConfigException if the batch size or the window count is not positive
     */
    public static LanguageModelScore evaluate(ComputationGraph graph, SplitTokens split, int batchSize, int maxWindows) {
        if (batchSize < 1 || maxWindows < 1) {
            throw new InvalidConfigException("evaluation batch size and window count must be positive, got "
                    + batchSize + " and " + maxWindows);
        }
        split = prefix(split, DeqTransformerLM.contextLength(graph), maxWindows);
        TokenWindows windows = split.windows(DeqTransformerLM.contextLength(graph));
        WindowDataSetIterator it = iterator(windows, DeqTransformerLM.vocabSize(graph), batchSize);
        TokenNll sum = new TokenNll();
        while (it.hasNext()) {
            DataSet batch = it.next();
            sum.add(Evaluator.output(graph, batch), batch.getLabels());
        }
        double bytes = (double) split.textBytes() * windows.targetTokens() / split.size();
        return new LanguageModelScore(sum.tokens(), sum.nll(), bytes);
    }

    /**
     * The split cut to its first {@code maxWindows} windows of {@code context} tokens (the first
     * {@code maxWindows · context + 1} tokens), its bytes scaled in proportion; the split itself if shorter.
     */
    public static SplitTokens prefix(SplitTokens split, int context, int maxWindows) {
        long keep = (long) maxWindows * context + 1;
        if (keep >= split.size()) {
            return split;
        }
        int[] tokens = java.util.Arrays.copyOf(split.tokens(), (int) keep);
        long bytes = Math.round((double) split.textBytes() * keep / split.size());
        return new SplitTokens(split.split(), tokens, bytes, split.documents());
    }

    /** Windows in stream order, labels shaped for the model ({@link DeqTransformerLM#labelsPreProcessor()}). */
    public static WindowDataSetIterator iterator(TokenWindows windows, int vocabSize, int batchSize) {
        WindowDataSetIterator it = WindowDataSetIterator.builder(windows, vocabSize).batchSize(batchSize).shuffle(false)
                .build();
        it.setPreProcessor(DeqTransformerLM.labelsPreProcessor());
        return it;
    }
}
