package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.deq4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

/** The embedded corpus must match the sizes documented in its SOURCE.md (measured there with Python). */
class EmbeddedCorpusTest {

    @Test
    void loadsTheSixNovelsWithTheirDocumentedSizes() {
        TextCorpus austen = Corpora.embedded();
        assertEquals(List.of("1-sense-and-sensibility", "2-pride-and-prejudice", "3-mansfield-park", "4-emma",
                "5-northanger-abbey", "6-persuasion"), austen.documents().stream().map(Document::name).toList());
        long[] bytes = {673_688, 684_768, 883_280, 883_028, 433_411, 466_854};
        int[] chars = {673_688, 684_768, 883_279, 883_028, 433_411, 466_854};
        for (int i = 0; i < 6; i++) {
            String text = austen.documents().get(i).text();
            assertEquals(chars[i], text.length(), austen.documents().get(i).name());
            assertEquals(bytes[i], text.getBytes(StandardCharsets.UTF_8).length);
        }
        assertTrue(austen.documents().get(1).text().startsWith("PRIDE AND PREJUDICE\n\nBy Jane Austen\n"));
    }

    @Test
    void byteTokensOfTheThreeSplitsAddUpToTheWholeText() {
        TokenizedCorpus tokens = TokenizedCorpus.of(Corpora.embedded(), ByteTokenizer.withEndOfText());
        long total = 0;
        for (Split split : Split.values()) {
            SplitTokens s = tokens.get(split);
            assertEquals(6, s.documents());
            assertEquals(s.textBytes() + 5, s.size(), "one byte per byte plus five separators");
            total += s.textBytes();
        }
        assertEquals(4_025_029, total);
        double trainShare = tokens.train().textBytes() / 4_025_029.0;
        assertTrue(trainShare > 0.899 && trainShare < 0.901, "train share " + trainShare);
    }
}
