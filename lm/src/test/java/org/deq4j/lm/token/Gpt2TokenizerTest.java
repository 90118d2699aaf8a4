package org.deq4j.lm.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Gpt2TokenizerTest {

    private final Gpt2Tokenizer gpt2 = Gpt2Tokenizer.create();

    /** Ids published with GPT-2 (OpenAI's encoder.json, reproduced in the Hugging Face docs and tutorials). */
    @Test
    void knownGpt2Ids() {
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world"));
        assertArrayEquals(new int[] {31373, 995}, gpt2.encode("hello world"));
        assertArrayEquals(new int[] {262}, gpt2.encode(" the"));
        assertArrayEquals(new int[] {198}, gpt2.encode("\n"));
        assertArrayEquals(new int[] {628}, gpt2.encode("\n\n"));
        assertArrayEquals(new int[] {0}, gpt2.encode("!"));
        assertArrayEquals(new int[] {13}, gpt2.encode("."));
        assertArrayEquals(new int[] {11}, gpt2.encode(","));
    }

    @Test
    void vocabularyAndPadding() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50257, gpt2.paddedVocabSize());
        assertEquals(50304, Gpt2Tokenizer.padded().paddedVocabSize());
        assertEquals(50257, Gpt2Tokenizer.padded().vocabSize());
        assertEquals(0, Gpt2Tokenizer.padded().paddedVocabSize() % 64);
        assertEquals(50260, Gpt2Tokenizer.paddedToMultipleOf(10).paddedVocabSize());
        assertThrows(InvalidConfigException.class, () -> Gpt2Tokenizer.paddedToMultipleOf(0));
    }

    @Test
    void endOfTextIsTheSeparatorAndLiteralTextStaysOrdinary() {
        assertArrayEquals(new int[] {50256}, gpt2.documentSeparator());
        assertEquals("<|endoftext|>", gpt2.decode(new int[] {50256}));
        int[] literal = gpt2.encode("a<|endoftext|>b");
        assertTrue(literal.length > 3, "literal special-token text must be split into ordinary tokens");
        for (int t : literal) {
            assertTrue(t < 50256);
        }
        assertEquals("a<|endoftext|>b", gpt2.decode(literal));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "  ", "\n", "\t\r\n", "Hello, world!", "It's a truth universally acknowledged...",
        "  leading and trailing  ", "a\n\n\nb", " \n \n = Title = \n", "tabs\tand\u00A0nbsp\u2003em-space",
        "héllo wörld ñ ç", "日本語のテキスト", "Ελληνικά and русский", "emoji 😀👍🏽 and 🇬🇧 flags",
        "e\u0301 combining", "zero\u200Bwidth", "numbers 1234567890 3.14159", "'s 'll 're 've 'm 'd 't",
        "$^&*(){}[]<>~`|\\/@#%"
    })
    void roundTrips(String text) {
        assertEquals(text, gpt2.decode(gpt2.encode(text)));
    }

    @Test
    void randomUnicodeRoundTrips() {
        SplittableRandom random = new SplittableRandom(7);
        List<String> alphabet = List.of("a", "Z", " ", "  ", "\n", "\t", "é", "日", "😀", "'", "s", "9", ".", "\u00A0");
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder text = new StringBuilder();
            int n = random.nextInt(40);
            for (int i = 0; i < n; i++) {
                text.append(alphabet.get(random.nextInt(alphabet.size())));
            }
            String s = text.toString();
            assertEquals(s, gpt2.decode(gpt2.encode(s)), () -> "round trip of [" + s + "]");
        }
    }

    @Test
    void paddingIdsAreRejectedWithAHint() {
        Gpt2Tokenizer padded = Gpt2Tokenizer.padded();
        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> padded.decode(new int[] {15496, 50300}));
        assertTrue(e.getMessage().contains("50300") && e.getMessage().contains("padding"), e.getMessage());
        assertThrows(InvalidTokenException.class, () -> gpt2.decode(new int[] {-1}));
    }
}
