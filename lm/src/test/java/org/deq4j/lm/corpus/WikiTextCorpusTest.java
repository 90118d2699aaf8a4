package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deq4j.lm.token.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WikiTextCorpusTest {

    @TempDir
    Path dir;

    // The WikiText format: every line starts with a space, headings are " = Title = ".
    private static String article(String title, int paragraphs) {
        StringBuilder s = new StringBuilder(" \n = ").append(title).append(" = \n \n");
        for (int i = 0; i < paragraphs; i++) {
            s.append(" The 1 @,@ 000 <unk> of ").append(title).append(" was built in 18").append(i % 10)
                    .append(" @-@ 19").append(i % 7).append(" , near café Zürich . \n \n");
        }
        return s.toString();
    }

    private void write(String train, String valid, String test) throws IOException {
        Files.writeString(dir.resolve("wiki.train.tokens"), train);
        Files.writeString(dir.resolve("wiki.valid.tokens"), valid);
        Files.writeString(dir.resolve("wiki.test.tokens"), test);
    }

    @Test
    void usesItsOwnSplitFilesEachAsOneStream() throws IOException {
        String train = article("Valkyria", 3000) + article("Tower", 2000);
        String valid = article("Homarus", 20);
        String test = article("Robert", 25);
        write(train, valid, test);
        Corpus corpus = Corpora.fromPath(dir);
        assertInstanceOf(WikiTextCorpus.class, corpus);
        Gpt2Tokenizer gpt2 = Gpt2Tokenizer.create();
        TokenizedCorpus tokens = TokenizedCorpus.of(corpus, gpt2);
        // The training file (~400 KB) is streamed in 64 KiB chunks; tokens must equal encoding it whole.
        assertArrayEquals(gpt2.encode(train), tokens.train().tokens());
        assertArrayEquals(gpt2.encode(valid), tokens.validation().tokens());
        assertArrayEquals(gpt2.encode(test), tokens.test().tokens());
        assertEquals(train.getBytes(StandardCharsets.UTF_8).length, tokens.train().textBytes());
        assertEquals(1, tokens.train().documents());
    }

    @Test
    void missingFilesAreListed() throws IOException {
        Files.writeString(dir.resolve("wiki.train.tokens"), " a \n");
        CorpusNotFoundException e = assertThrows(CorpusNotFoundException.class, () -> WikiTextCorpus.open(dir));
        assertTrue(e.getMessage().contains("wiki.valid.tokens") && e.getMessage().contains("wiki.test.tokens")
                && !e.getMessage().contains("lacks wiki.train"), e.getMessage());
        assertThrows(CorpusNotFoundException.class, () -> WikiTextCorpus.open(dir.resolve("absent")));
    }

    @Test
    void emptySplitFileIsRejected() throws IOException {
        write(" a \n", "", " c \n");
        EmptyCorpusException e = assertThrows(EmptyCorpusException.class, () -> WikiTextCorpus.open(dir));
        assertTrue(e.getMessage().contains("wiki.valid.tokens"), e.getMessage());
    }

    @Test
    void rawVariantNamesAreAccepted() throws IOException {
        Files.writeString(dir.resolve("wiki.train.raw"), " a \n");
        Files.writeString(dir.resolve("wiki.valid.raw"), " b \n");
        Files.writeString(dir.resolve("wiki.test.raw"), " c \n");
        assertEquals(dir.resolve("wiki.test.raw"), WikiTextCorpus.open(dir).file(Split.TEST));
    }
}
