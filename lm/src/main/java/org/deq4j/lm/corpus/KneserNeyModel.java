package org.deq4j.lm.corpus;

import java.util.Arrays;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.InvalidTokenException;

/**
 * An n-gram baseline over token ids: interpolated Kneser-Ney smoothing (Chen and Goodman 1998, "An
 * empirical study of smoothing techniques for language modeling", section 3) with one discount per order.
 * With the {@code bytes+eot} tokenizer the tokens are bytes plus the end-of-text id, so order 5 is a
 * byte-level 5-gram model; with GPT-2 tokens it is a 5-gram model over GPT-2 tokens.
 *
 * <p><b>Estimate.</b> For a context {@code h} of {@code k - 1} tokens and a token {@code w},
 * <pre>
 * p_k(w | h) = (max(c_k(hw) - D_k, 0) + D_k · N_k(h) · p_{k-1}(w | h')) / S_k(h)
 * </pre>
 * where {@code h'} is {@code h} without its first token, {@code S_k(h) = Σ_w c_k(hw)}, {@code N_k(h)} is
 * the number of tokens {@code w} with {@code c_k(hw) > 0}, and {@code p_0(w) = 1 / V} (uniform over the
 * vocabulary, padding ids included), so no token ever has probability 0. The counts {@code c_k} are the
 * raw training counts at the highest order and continuation counts below it: the number of distinct
 * tokens seen before the k-gram. A k-gram at the very start of the training stream counts a virtual
 * start symbol as one such token, so every k-gram seen in training has {@code c_k >= 1}. If {@code h} was
 * never followed by a token in training ({@code S_k(h) = 0}), {@code p_k(w | h) = p_{k-1}(w | h')}.
 * {@code D_k = n1 / (n1 + 2 n2)}, with {@code n1} and {@code n2} the numbers of k-grams with
 * {@code c_k} equal to 1 and 2; an order without a single {@code c_k = 1} (only on tiny or degenerate
 * corpora) would get {@code D_k = 0}, leaving unseen tokens probability 0, and uses {@code D_k = 0.5}.
 *
 * <p><b>History.</b> {@link #negativeLogLikelihood(int[])} scores every token of a stream left to right,
 * the first one too, each conditioned on the up to {@code order - 1} tokens before it in the same stream.
 * That stream is the one a DEQ language model's windows are cut from ({@link SplitTokens#tokens()}:
 * documents joined by the tokenizer's separator, which both models see as a token). This is the usual way
 * to score an n-gram model, it gives the n-gram its full history, and it does not depend on the compared
 * model's context length, so one corpus and tokenizer have one baseline number. The DEQ model scores
 * non-overlapping windows of {@code T} tokens ({@link TokenWindows}): at the first {@code order - 2}
 * targets of a window it sees fewer tokens than the n-gram (1, 2, 3 against 4 at order 5), at all others
 * at least as many (up to {@code T}). The window starts thus favour the n-gram; on Austen's bytes,
 * cutting its history to windows of 32 instead raised it from 1.85 to 2.02 bits per byte.
 * Bits per byte ({@link #bitsPerByte(SplitTokens)}) are comparable with the DEQ model's although the
 * model leaves the first token and the tail out: both divide by the bytes of the tokens they score.
 *
 * <p><b>Cost.</b> Fitting is one pass over the training tokens; memory is a few dozen bytes per distinct
 * k-gram of every order up to {@code order} (at most {@code order} per training token): at order 5 the
 * embedded Austen corpus's 3.6 million byte tokens took 0.6 s and a few MB of heap, its 0.9 million GPT-2
 * tokens 0.9 s and about 120 MB. Scoring takes {@code order (order + 1) / 2} hash look-ups per token.
 * Immutable once fitted, so safe to share between threads.
 */
public final class KneserNeyModel implements BaselineModel {
    private final int order;
    private final int vocabSize;
    // index[k], k >= 2: the k-gram (prefix (k-1)-gram id, last token) packed as prefix * V + token -> its id.
    // A 1-gram's id is its token.
    private final NgramIndex[] index;
    // count[k][id], k = 1..order: c_k of the k-gram with that id.
    private final int[][] count;
    // contextTotal[j][id] = S_{j+1}(h) and contextTypes[j][id] = N_{j+1}(h) for the j-gram h with that id
    // (j = 0: the empty context, id 0).
    private final int[][] contextTotal;
    private final int[][] contextTypes;
    // discount[k] = D_k, k = 1..order.
    private final double[] discount;

    private KneserNeyModel(int order, int vocabSize, NgramIndex[] index, int[][] count, int[][] contextTotal,
                           int[][] contextTypes, double[] discount) {
        this.order = order;
        this.vocabSize = vocabSize;
        this.index = index;
        this.count = count;
        this.contextTotal = contextTotal;
        this.contextTypes = contextTypes;
        this.discount = discount;
    }

    /**
     * Counts every k-gram ({@code k <= order}) of {@code trainTokens}, read as one stream, and derives the
     * discounts and context statistics.
     *
     * @param vocabSize the tokenizer's (padded) vocabulary size {@code V}
     * @param order     n-gram order {@code >= 1} (5 for the CLI's baseline)
     * @throws InvalidConfigException if {@code vocabSize < 1} or {@code order < 1}
     * @throws InvalidTokenException  if a token is outside {@code [0, vocabSize)}
     * @throws IllegalStateException  if one order has more than 2^29 distinct n-grams
     */
    public static KneserNeyModel fit(int[] trainTokens, int vocabSize, int order) {
        if (vocabSize < 1) {
            throw new InvalidConfigException("vocabulary size must be >= 1, got " + vocabSize);
        }
        if (order < 1) {
            throw new InvalidConfigException("n-gram order must be >= 1, got " + order);
        }
        NgramIndex[] index = new NgramIndex[order + 1];
        int[][] count = new int[order + 1][];
        count[1] = new int[vocabSize];
        for (int k = 2; k <= order; k++) {
            index[k] = new NgramIndex();
            count[k] = new int[16];
        }
        int n = trainTokens.length;
        // Right to left, so that the ids of the k-grams starting one position later (the suffixes of the
        // (k+1)-grams starting here) are known when a (k+1)-gram is seen for the first time.
        int[] here = new int[order + 1];
        int[] next = new int[order + 1];
        for (int i = n - 1; i >= 0; i--) {
            here[1] = BaselineModel.checkedToken(trainTokens[i], i, vocabSize);
            int longest = Math.min(order, n - i);
            for (int k = 2; k <= longest; k++) {
                int fresh = index[k].size();
                here[k] = index[k].getOrAdd((long) here[k - 1] * vocabSize + trainTokens[i + k - 1]);
                if (here[k] == fresh) {
                    if (fresh == count[k].length) {
                        count[k] = Arrays.copyOf(count[k], 2 * fresh);
                    }
                    // A new k-gram t·g: one more distinct token before its suffix g.
                    count[k - 1][next[k - 1]]++;
                }
            }
            if (longest == order) {
                count[order][here[order]]++;
            }
            int[] swap = here;
            here = next;
            next = swap;
        }
        // next now holds the ids of the k-grams at position 0: the virtual start symbol precedes them.
        for (int k = 1; k <= Math.min(order - 1, n); k++) {
            count[k][next[k]]++;
        }

        int[][] contextTotal = new int[order][];
        int[][] contextTypes = new int[order][];
        for (int j = 0; j < order; j++) {
            int contexts = j == 0 ? 1 : j == 1 ? vocabSize : index[j].size();
            contextTotal[j] = new int[contexts];
            contextTypes[j] = new int[contexts];
        }
        double[] discount = new double[order + 1];
        for (int k = 1; k <= order; k++) {
            ContextTally tally = new ContextTally(count[k], contextTotal[k - 1], contextTypes[k - 1]);
            if (k == 1) {
                for (int t = 0; t < vocabSize; t++) {
                    tally.add(t, 0);
                }
            } else {
                index[k].forEach((key, id) -> tally.add(id, (int) (key / vocabSize)));
            }
            discount[k] = tally.singletons > 0 ? tally.singletons / (tally.singletons + 2.0 * tally.doubletons) : 0.5;
        }
        return new KneserNeyModel(order, vocabSize, index, count, contextTotal, contextTypes, discount);
    }

    /** Adds the k-grams' counts to their contexts' {@code S} and {@code N} and counts the 1s and 2s. */
    private static final class ContextTally {
        private final int[] count;
        private final int[] total;
        private final int[] types;
        private long singletons;
        private long doubletons;

        ContextTally(int[] count, int[] total, int[] types) {
            this.count = count;
            this.total = total;
            this.types = types;
        }

        void add(int gram, int context) {
            int c = count[gram];
            if (c > 0) {
                total[context] += c;
                types[context]++;
                if (c == 1) {
                    singletons++;
                } else if (c == 2) {
                    doubletons++;
                }
            }
        }
    }

    /** The n-gram order: a token is conditioned on at most {@code order - 1} tokens. */
    public int order() {
        return order;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The discount {@code D_k} of order {@code k}.
     *
     * @throws InvalidConfigException if {@code k} is not in {@code [1, order]}
     */
    public double discount(int k) {
        if (k < 1 || k > order) {
            throw new InvalidConfigException("order " + k + " is outside [1, " + order + "]");
        }
        return discount[k];
    }

    /**
     * Natural-log probability of {@code token} after {@code history}, of which only the last
     * {@code order - 1} tokens count (all of it if shorter; an empty history gives the lowest-order
     * estimate, interpolated with the uniform distribution).
     *
     * @throws InvalidTokenException if {@code token} or a history token is outside the vocabulary
     */
    public double logProb(int[] history, int token) {
        for (int i = 0; i < history.length; i++) {
            BaselineModel.checkedToken(history[i], i, vocabSize);
        }
        return Math.log(probability(history, history.length, BaselineModel.checkedToken(token, history.length,
                vocabSize)));
    }

    /**
     * {@inheritDoc} Token {@code i} is conditioned on {@code tokens[max(0, i - order + 1), i)}.
     */
    @Override
    public double negativeLogLikelihood(int[] tokens) {
        double sum = 0;
        for (int i = 0; i < tokens.length; i++) {
            // The history tokens were checked as the tokens scored before this one.
            sum -= Math.log(probability(tokens, i, BaselineModel.checkedToken(tokens[i], i, vocabSize)));
        }
        return sum;
    }

    // p(token | tokens[max(0, end - order + 1), end)), built from the uniform distribution up, one order
    // at a time. A context never followed by a token in training has no longer context that was either (a
    // longer one ends with it), so the first such context ends the recursion.
    private double probability(int[] tokens, int end, int token) {
        double p = 1.0 / vocabSize;
        int longestContext = Math.min(order - 1, end);
        for (int k = 1; k <= longestContext + 1; k++) {
            int context = contextId(tokens, end - k + 1, k - 1);
            if (context < 0 || contextTotal[k - 1][context] == 0) {
                break;
            }
            int gram = k == 1 ? token : index[k].get((long) context * vocabSize + token);
            int c = gram < 0 ? 0 : count[k][gram];
            double d = discount[k];
            p = (Math.max(c - d, 0) + d * contextTypes[k - 1][context] * p) / contextTotal[k - 1][context];
        }
        return p;
    }

    // The id of the j-gram tokens[start, start + j), or -1 if it never occurred in training.
    private int contextId(int[] tokens, int start, int j) {
        if (j == 0) {
            return 0;
        }
        int id = tokens[start];
        for (int k = 2; k <= j && id >= 0; k++) {
            id = index[k].get((long) id * vocabSize + tokens[start + k - 1]);
        }
        return id;
    }
}
