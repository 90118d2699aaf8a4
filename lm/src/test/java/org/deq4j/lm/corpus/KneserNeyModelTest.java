package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.InvalidTokenException;
import org.deq4j.lm.token.Tokenizer;
import org.junit.jupiter.api.Test;

class KneserNeyModelTest {

    // "abracadabra" with a = 0, b = 1, r = 2, c = 3, d = 4; id 5 is in the vocabulary (V = 6) but unseen.
    private static final int A = 0;
    private static final int B = 1;
    private static final int R = 2;
    private static final int UNSEEN = 5;
    private static final int[] ABRACADABRA = {0, 1, 2, 0, 3, 0, 4, 0, 1, 2, 0};

    /*
     * Order 3 on "abracadabra", V = 6, by hand (c_k: raw counts at order 3, continuation counts below,
     * "^" the virtual start symbol before the stream):
     *
     * order 1, continuation counts (distinct tokens before): a {^, r, c, d} 4, b {a} 1, r {b} 1, c {a} 1,
     *   d {a} 1. S_1 = 8, N_1 = 5; n1 = 4, n2 = 0, so D_1 = 4 / 4 = 1.
     *   p1(a) = (4 - 1 + 1 * 5 * 1/6) / 8 = 23/48; p1(r) = p1(unseen) = (0 + 5/6) / 8 = 5/48.
     * order 2, continuation counts: ab {^, d} 2, br {a} 1, ra {b} 1, ac {r} 1, ca {a} 1, ad {c} 1, da {a} 1;
     *   n1 = 6, n2 = 1, so D_2 = 6 / 8 = 3/4. Context b: S = 1 (br), N = 1.
     *   p2(r | b) = (1 - 3/4 + 3/4 * 1 * 5/48) / 1 = 21/64; p2(a | b) = 3/4 * 23/48 = 23/64;
     *   p2(unseen | b) = 3/4 * 5/48 = 5/64.
     * order 3, raw counts: abr 2, bra 2, rac 1, aca 1, cad 1, ada 1, dab 1; n1 = 5, n2 = 2, so D_3 = 5/9.
     *   Context ab: S = 2, N = 1.
     *   p3(r | ab) = (2 - 5/9 + 5/9 * 1 * 21/64) / 2 = 937/1152;
     *   p3(a | ab) = (0 + 5/9 * 23/64) / 2 = 115/1152; p3(unseen | ab) = 5/9 * 5/64 / 2 = 25/1152.
     * A context never followed by anything ("5 5": S = 0 at orders 2 and 3) leaves p1: p(a) = 23/48.
     */
    @Test
    void probabilitiesMatchHandComputation() {
        KneserNeyModel model = KneserNeyModel.fit(ABRACADABRA, 6, 3);
        assertEquals(1.0, model.discount(1), 1e-15);
        assertEquals(3.0 / 4, model.discount(2), 1e-15);
        assertEquals(5.0 / 9, model.discount(3), 1e-15);
        assertEquals(937.0 / 1152, Math.exp(model.logProb(new int[] {A, B}, R)), 1e-12);
        assertEquals(115.0 / 1152, Math.exp(model.logProb(new int[] {A, B}, A)), 1e-12);
        assertEquals(25.0 / 1152, Math.exp(model.logProb(new int[] {A, B}, UNSEEN)), 1e-12);
        assertEquals(21.0 / 64, Math.exp(model.logProb(new int[] {B}, R)), 1e-12);
        assertEquals(23.0 / 48, Math.exp(model.logProb(new int[0], A)), 1e-12);
        assertEquals(23.0 / 48, Math.exp(model.logProb(new int[] {UNSEEN, UNSEEN}, A)), 1e-12);
        // Only the last order - 1 = 2 tokens of a history count.
        assertEquals(model.logProb(new int[] {A, B}, R), model.logProb(new int[] {4, 3, A, B}, R), 0);
    }

    @Test
    void streamScoreConditionsEachTokenOnTheTokensBeforeIt() {
        KneserNeyModel model = KneserNeyModel.fit(ABRACADABRA, 6, 3);
        int[] stream = {R, A, B, R, A, 3, UNSEEN, A};
        double nll = 0;
        for (int i = 0; i < stream.length; i++) {
            nll -= model.logProb(Arrays.copyOf(stream, i), stream[i]);
        }
        assertEquals(nll, model.negativeLogLikelihood(stream), 1e-12);
        assertEquals(Math.exp(nll / stream.length), model.perplexity(stream), 1e-12);
        assertEquals(nll / Math.log(2) / 11, model.bitsPerByte(stream, 11), 1e-12);
    }

    @Test
    void everyDistributionSumsToOne() {
        // A skewed first-order Markov stream over 11 ids (id 10 never occurs), so that seen, partly seen and
        // unseen contexts of every length all arise.
        SplittableRandom random = new SplittableRandom(7);
        int vocab = 11;
        int[] train = new int[20_000];
        for (int i = 1; i < train.length; i++) {
            train[i] = random.nextInt(4) == 0 ? random.nextInt(vocab - 1) : (train[i - 1] * 3 + 1) % (vocab - 1);
        }
        for (int order : new int[] {1, 2, 5}) {
            KneserNeyModel model = KneserNeyModel.fit(train, vocab, order);
            for (int trial = 0; trial < 50; trial++) {
                int[] history = new int[random.nextInt(7)];
                if (trial % 2 == 0) {
                    int start = random.nextInt(train.length - history.length);
                    System.arraycopy(train, start, history, 0, history.length);
                } else {
                    for (int i = 0; i < history.length; i++) {
                        history[i] = random.nextInt(vocab);
                    }
                }
                assertEquals(1.0, totalProbability(model, history), 1e-9, "order " + order + ", history "
                        + Arrays.toString(history));
            }
        }
    }

    @Test
    void degenerateCorporaStillGiveEveryTokenProbability() {
        // "0 0 0 0", order 2: the bigram 00 has raw count 3 and the unigram 0 continuation count 2 ({^, 0}),
        // so neither order has a count of 1 and both fall back to D = 0.5 instead of 0.
        KneserNeyModel repeated = KneserNeyModel.fit(new int[] {0, 0, 0, 0}, 3, 2);
        assertEquals(0.5, repeated.discount(1), 0);
        assertEquals(0.5, repeated.discount(2), 0);
        // p1(1) = (0 + 0.5 * 1 * 1/3) / 2 = 1/12; p2(1 | 0) = (0 + 0.5 * 1 * 1/12) / 3 = 1/72.
        assertEquals(1.0 / 72, Math.exp(repeated.logProb(new int[] {0}, 1)), 1e-12);
        assertEquals(1.0, totalProbability(repeated, new int[] {0}), 1e-12);
        // No training data: the uniform distribution.
        assertEquals(7, KneserNeyModel.fit(new int[0], 7, 5).perplexity(new int[] {0, 3, 6}), 1e-9);
    }

    @Test
    void fiveGramsBeatTheUnigramOnAustenByAWideMargin() {
        TokenizedCorpus tokens = TokenizedCorpus.of(Corpora.embedded(), Tokenizer.named("bytes+eot"));
        int[] train = tokens.train().tokens();
        SplitTokens validation = tokens.validation();
        KneserNeyModel kn = KneserNeyModel.fit(train, tokens.vocabSize(), 5);
        UnigramModel unigram = UnigramModel.fit(train, tokens.vocabSize());
        double knPerplexity = kn.perplexity(validation.tokens());
        double unigramPerplexity = unigram.perplexity(validation.tokens());
        assertTrue(knPerplexity < unigramPerplexity / 2, "KN-5 " + knPerplexity + " vs unigram " + unigramPerplexity);
        assertTrue(kn.bitsPerByte(validation) < unigram.bitsPerByte(validation) - 1,
                "KN-5 " + kn.bitsPerByte(validation) + " vs unigram " + unigram.bitsPerByte(validation) + " bits/byte");
        int[] v = validation.tokens();
        for (int end = 0; end < v.length; end += v.length / 10) {
            int[] history = Arrays.copyOfRange(v, Math.max(0, end - 4), end);
            assertEquals(1.0, totalProbability(kn, history), 1e-9, "history " + Arrays.toString(history));
        }
    }

    @Test
    void badInputsAreRejected() {
        assertThrows(InvalidConfigException.class, () -> KneserNeyModel.fit(ABRACADABRA, 0, 3));
        assertThrows(InvalidConfigException.class, () -> KneserNeyModel.fit(ABRACADABRA, 6, 0));
        assertThrows(InvalidTokenException.class, () -> KneserNeyModel.fit(new int[] {0, 6}, 6, 3));
        KneserNeyModel model = KneserNeyModel.fit(ABRACADABRA, 6, 3);
        assertThrows(InvalidTokenException.class, () -> model.perplexity(new int[] {0, -1}));
        assertThrows(InvalidTokenException.class, () -> model.logProb(new int[] {6}, 0));
        assertThrows(InvalidTokenException.class, () -> model.logProb(new int[] {0}, 6));
        assertThrows(InvalidConfigException.class, () -> model.perplexity(new int[0]));
        assertThrows(InvalidConfigException.class, () -> model.discount(4));
    }

    private static double totalProbability(KneserNeyModel model, int[] history) {
        double sum = 0;
        for (int t = 0; t < model.vocabSize(); t++) {
            sum += Math.exp(model.logProb(history, t));
        }
        return sum;
    }
}
