package org.deq4j.lm.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.deq4j.lm.corpus.Corpora;
import org.junit.jupiter.api.Test;

/** Streaming in small blocks must give exactly the tokens of encoding each document whole. */
class StreamingEncoderTest {

    private static int[] streamed(Tokenizer tokenizer, String text, int blockChars, int chunkChars) {
        StreamingEncoder encoder = new StreamingEncoder(tokenizer, blockChars);
        for (int i = 0; i < text.length(); i += chunkChars) {
            int end = Math.min(text.length(), i + chunkChars);
            if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
                end++;
            }
            encoder.append(text.substring(i, end));
            i = end - chunkChars;
        }
        return encoder.finish();
    }

    @Test
    void gpt2StreamingMatchesWholeEncodingOnAusten() {
        Tokenizer gpt2 = Gpt2Tokenizer.create();
        String persuasion = Corpora.embedded().documents().get(5).text();
        int[] whole = gpt2.encode(persuasion);
        assertArrayEquals(whole, streamed(gpt2, persuasion, 4096, 1000));
        assertArrayEquals(whole, streamed(gpt2, persuasion, 1, 97));
    }

    @Test
    void gpt2StreamingMatchesWholeEncodingOnWhitespaceHeavyText() {
        Tokenizer gpt2 = Gpt2Tokenizer.create();
        SplittableRandom random = new SplittableRandom(11);
        List<String> pieces = List.of("word", "Word", " ", "  ", "\n", "\n\n", " \n", "\t", ".", "'s", "42",
                " = Title = ", "é", "😀", "\u00A0", "\r\n", "@-@", "<unk>");
        for (int trial = 0; trial < 30; trial++) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 600; i++) {
                text.append(pieces.get(random.nextInt(pieces.size())));
            }
            String s = text.toString();
            int[] whole = gpt2.encode(s);
            for (int block : new int[] {1, 7, 64}) {
                assertArrayEquals(whole, streamed(gpt2, s, block, 13), "trial " + trial + ", block " + block);
            }
        }
    }

    @Test
    void gpt2StreamingMatchesWholeEncodingOnWikiTextLayout() {
        Tokenizer gpt2 = Gpt2Tokenizer.create();
        StringBuilder text = new StringBuilder();
        for (int a = 0; a < 40; a++) {
            text.append(" \n = Article ").append(a).append(" = \n \n = = Section = = \n \n");
            for (int p = 0; p < 5; p++) {
                text.append(" The 1 @,@ 000 <unk> was built in 18").append(p).append(" @-@ 19 , near Zürich . \n");
            }
        }
        String s = text.toString();
        int[] whole = gpt2.encode(s);
        assertArrayEquals(whole, streamed(gpt2, s, 200, 31));
        assertTrue(Gpt2Tokenizer.create().safeSplitPoint(s) > s.length() - 100, "line starts are safe points");
    }

    @Test
    void gpt2SafeSplitPointsAreFoundInOrdinaryProseAndWikiText() {
        Gpt2Tokenizer gpt2 = Gpt2Tokenizer.create();
        assertEquals(6, gpt2.safeSplitPoint("to be\nor"));
        assertEquals(" = A = \n".length(), gpt2.safeSplitPoint(" = A = \n = B"));
        assertEquals(0, gpt2.safeSplitPoint("to be \n\nor"));
    }

    @Test
    void documentsAreJoinedWithTheSeparator() {
        Tokenizer bytes = ByteTokenizer.withEndOfText();
        StreamingEncoder encoder = new StreamingEncoder(bytes, 2);
        encoder.append("ab");
        encoder.append("c");
        encoder.endDocument();
        encoder.endDocument(); // an empty document adds nothing
        encoder.append("d");
        int[] tokens = encoder.finish();
        assertArrayEquals(new int[] {'a', 'b', 'c', 256, 'd'}, tokens);
        assertEquals(2, encoder.documents());
        assertTrue(IntStream.of(tokens).filter(t -> t == 256).count() == 1);
    }
}
