package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.InvalidTokenException;
import org.junit.jupiter.api.Test;

class UnigramModelTest {

    // Train [0, 0, 1, 2] with V = 4: counts 2, 1, 1, 0; add-one gives p = 3/8, 2/8, 2/8, 1/8.
    private static final int[] TRAIN = {0, 0, 1, 2};

    @Test
    void addOneMatchesHandComputation() {
        UnigramModel model = UnigramModel.fit(TRAIN, 4);
        assertEquals(Math.log(3.0 / 8), model.logProb(0), 1e-12);
        assertEquals(Math.log(1.0 / 8), model.logProb(3), 1e-12);
        int[] eval = {0, 3};
        double nll = Math.log(8.0 / 3) + Math.log(8.0);
        assertEquals(nll, model.negativeLogLikelihood(eval), 1e-12);
        assertEquals(nll / 2, model.crossEntropy(eval), 1e-12);
        assertEquals(Math.sqrt(64.0 / 3), model.perplexity(eval), 1e-12); // exp(nll / 2) = sqrt(8/3 * 8)
        // (log2(8/3) + 3) bits over 5 bytes
        assertEquals((Math.log(8.0 / 3) / Math.log(2) + 3) / 5, model.bitsPerByte(eval, 5), 1e-12);
    }

    @Test
    void addKMatchesHandComputation() {
        UnigramModel model = UnigramModel.fit(TRAIN, 4, 0.5); // (c + 0.5) / (4 + 2)
        assertEquals(Math.log(2.5 / 6), model.logProb(0), 1e-12);
        assertEquals(Math.log(0.5 / 6), model.logProb(3), 1e-12);
        assertEquals(6.0 / 1.5, model.perplexity(new int[] {1}), 1e-12);
    }

    @Test
    void noTrainingDataGivesTheUniformPerplexity() {
        assertEquals(7, UnigramModel.fit(new int[0], 7).perplexity(new int[] {0, 3, 6}), 1e-9);
    }

    @Test
    void splitBitsPerByteUsesItsByteCount() {
        UnigramModel model = UnigramModel.fit(TRAIN, 4);
        SplitTokens split = new SplitTokens(Split.VALIDATION, new int[] {0, 3}, 5, 1);
        assertEquals(model.bitsPerByte(new int[] {0, 3}, 5), model.bitsPerByte(split), 0);
    }

    @Test
    void badInputsAreRejected() {
        assertThrows(InvalidTokenException.class, () -> UnigramModel.fit(new int[] {4}, 4));
        assertThrows(InvalidTokenException.class, () -> UnigramModel.fit(TRAIN, 4).perplexity(new int[] {-1}));
        assertThrows(InvalidConfigException.class, () -> UnigramModel.fit(TRAIN, 4, 0));
        assertThrows(InvalidConfigException.class, () -> UnigramModel.fit(TRAIN, 0));
        assertThrows(InvalidConfigException.class, () -> UnigramModel.fit(TRAIN, 4).perplexity(new int[0]));
        assertThrows(InvalidConfigException.class, () -> UnigramModel.fit(TRAIN, 4).bitsPerByte(TRAIN, 0));
    }
}
