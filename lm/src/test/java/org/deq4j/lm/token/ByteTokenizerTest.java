package org.deq4j.lm.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteTokenizerTest {

    @Test
    void idsAreTheUtf8Bytes() {
        ByteTokenizer bytes = ByteTokenizer.plain();
        assertArrayEquals(new int[] {'H', 'i', ' ', '!'}, bytes.encode("Hi !"));
        assertArrayEquals(new int[] {0xC3, 0xA9}, bytes.encode("é"));             // U+00E9
        assertArrayEquals(new int[] {0xE2, 0x82, 0xAC}, bytes.encode("€"));       // U+20AC
        assertArrayEquals(new int[] {0xF0, 0x9F, 0x98, 0x80}, bytes.encode("😀")); // U+1F600
        assertArrayEquals(new int[0], bytes.encode(""));
    }

    @Test
    void vocabularyAndSeparators() {
        assertEquals(256, ByteTokenizer.plain().vocabSize());
        assertArrayEquals(new int[] {10, 10}, ByteTokenizer.plain().documentSeparator());
        ByteTokenizer eot = ByteTokenizer.withEndOfText();
        assertEquals(257, eot.vocabSize());
        assertArrayEquals(new int[] {256}, eot.documentSeparator());
        assertEquals("a<|endoftext|>b", eot.decode(new int[] {'a', 256, 'b'}));
        assertThrows(InvalidTokenException.class, () -> ByteTokenizer.plain().decode(new int[] {256}));
        assertThrows(InvalidTokenException.class, () -> eot.decode(new int[] {257}));
        assertThrows(InvalidTokenException.class, () -> eot.decode(new int[] {-3}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\n\n", "\t\r\n", "plain ASCII.", "héllo wörld", "日本語", "😀👍🏽🇬🇧",
        "e\u0301", "\u0000nul", "\u00A0\u2003"})
    void roundTrips(String text) {
        assertEquals(text, ByteTokenizer.plain().decode(ByteTokenizer.plain().encode(text)));
        assertEquals(text, ByteTokenizer.withEndOfText().decode(ByteTokenizer.withEndOfText().encode(text)));
    }

    @Test
    void builtInTokenizersByName() {
        assertEquals(50257, Tokenizer.named("gpt2").paddedVocabSize());
        assertEquals(50304, Tokenizer.named("gpt2-padded").paddedVocabSize());
        assertEquals(256, Tokenizer.named("bytes").vocabSize());
        assertEquals(257, Tokenizer.named("bytes+eot").vocabSize());
        org.deq4j.core.InvalidConfigException e = assertThrows(org.deq4j.core.InvalidConfigException.class,
                () -> Tokenizer.named("gpt3"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("gpt2-padded"), e.getMessage());
    }

    @Test
    void invalidUtf8FromAModelDecodesToReplacementCharacters() {
        assertEquals("a\uFFFDb", ByteTokenizer.plain().decode(new int[] {'a', 0xFF, 'b'}));
    }

    @Test
    void safeSplitKeepsSurrogatePairsTogether() {
        ByteTokenizer bytes = ByteTokenizer.plain();
        assertEquals(3, bytes.safeSplitPoint("abc"));
        String broken = "ab" + "😀".charAt(0);
        assertEquals(2, bytes.safeSplitPoint(broken));
    }
}
