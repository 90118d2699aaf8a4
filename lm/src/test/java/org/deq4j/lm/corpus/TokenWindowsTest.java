package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

class TokenWindowsTest {

    @Test
    void targetIsInputShiftedByOneAndEveryTokenIsATargetOnce() {
        int[] tokens = IntStream.range(0, 23).map(i -> 100 + i).toArray();
        TokenWindows windows = new TokenWindows(tokens, 5, "test stream");
        assertEquals(4, windows.count()); // (23 - 1) / 5
        assertEquals(20, windows.targetTokens());
        for (int w = 0; w < windows.count(); w++) {
            int[] input = windows.input(w);
            int[] target = windows.target(w);
            for (int i = 0; i < 5; i++) {
                assertEquals(tokens[w * 5 + i], input[i]);
                assertEquals(tokens[w * 5 + i + 1], target[i]);
            }
            for (int i = 0; i + 1 < 5; i++) {
                assertEquals(input[i + 1], target[i], "target = input shifted left by one");
            }
        }
        assertArrayEquals(new int[] {116, 117, 118, 119, 120}, windows.target(3));
        assertThrows(IndexOutOfBoundsException.class, () -> windows.input(4));
    }

    @Test
    void exactlyContextPlusOneTokensGiveOneWindow() {
        assertEquals(1, new TokenWindows(new int[] {1, 2, 3, 4}, 3, "s").count());
    }

    @Test
    void tooSmallSaysHowManyTokensAndHowManyAreNeeded() {
        CorpusTooSmallException e = assertThrows(CorpusTooSmallException.class,
                () -> new TokenWindows(new int[120], 448, "validation split"));
        assertTrue(e.getMessage().contains("validation split has 120 tokens")
                && e.getMessage().contains("context 448 needs at least 449"), e.getMessage());
        assertThrows(InvalidConfigException.class, () -> new TokenWindows(new int[10], 0, "s"));
    }

    @Test
    void splitWindowsNameTheSplit() {
        TokenizedCorpus tiny = TokenizedCorpus.of(TextCorpus.of("tiny", "test",
                java.util.List.of(new Document("d", "x".repeat(1000))), SplitFractions.DEFAULT), ByteTokenizer.plain());
        assertEquals(50, tiny.validation().size());
        CorpusTooSmallException e = assertThrows(CorpusTooSmallException.class, () -> tiny.validation().windows(64));
        assertTrue(e.getMessage().contains("validation split has 50 tokens"), e.getMessage());
    }
}
