package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.token.ByteTokenizer;
import org.deq4j.lm.token.Gpt2Tokenizer;
import org.deq4j.lm.token.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {

    @TempDir
    Path dir;

    private static String lines(int count, String prefix) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < count; i++) {
            s.append(prefix).append(" line ").append(i).append(" with some words\n");
        }
        return s.toString();
    }

    @Test
    void splitsAreContiguousDisjointLineAlignedAndCoverEveryDocument() {
        List<Document> docs = List.of(new Document("a", lines(100, "alpha")), new Document("b", lines(37, "beta")),
                new Document("c", "one line without newline"), new Document("d", ""));
        TextCorpus corpus = TextCorpus.of("t", "test", docs, SplitFractions.DEFAULT);
        for (int i = 0; i < docs.size(); i++) {
            String train = corpus.piece(i, Split.TRAIN);
            String valid = corpus.piece(i, Split.VALIDATION);
            String test = corpus.piece(i, Split.TEST);
            String text = docs.get(i).text();
            assertEquals(text, train + valid + test, "pieces must concatenate to the document");
            for (String before : new String[] {train, train + valid}) {
                assertTrue(before.isEmpty() || before.endsWith("\n") || !text.substring(before.length()).contains("\n"),
                        "cuts fall at line starts when a newline follows");
            }
        }
        String a = docs.get(0).text();
        int trainLength = corpus.piece(0, Split.TRAIN).length();
        int longestLine = 40;
        assertTrue(trainLength >= 0.9 * a.length() && trainLength <= 0.9 * a.length() + longestLine, "train ~ 90 %");
        int validLength = corpus.piece(0, Split.VALIDATION).length();
        assertTrue(Math.abs(validLength - 0.05 * a.length()) <= longestLine, "validation ~ 5 %");
    }

    @Test
    void splitsAreDeterministic() throws IOException {
        Path file = dir.resolve("book.txt");
        Files.writeString(file, lines(500, "x"));
        TextCorpus first = TextCorpus.fromPath(file);
        TextCorpus second = TextCorpus.fromPath(file);
        assertTrue(first.description().contains("90 % / 5 % / 5 %"), first.description());
        for (Split split : Split.values()) {
            assertEquals(first.piece(0, split), second.piece(0, split));
        }
    }

    @Test
    void tokenStreamsAreThePiecesEncodedAndJoinedBySeparators() {
        List<Document> docs = List.of(new Document("a", lines(40, "Ünïcode")), new Document("b", lines(30, "b")));
        TextCorpus corpus = TextCorpus.of("t", "test", docs, new SplitFractions(0.8, 0.1));
        for (Tokenizer tokenizer : List.of(ByteTokenizer.withEndOfText(), Gpt2Tokenizer.create())) {
            TokenizedCorpus tokens = TokenizedCorpus.of(corpus, tokenizer);
            for (Split split : Split.values()) {
                List<Integer> expected = new ArrayList<>();
                long bytes = 0;
                for (int i = 0; i < docs.size(); i++) {
                    String piece = corpus.piece(i, split);
                    if (i > 0) {
                        IntStream.of(tokenizer.documentSeparator()).forEach(expected::add);
                    }
                    IntStream.of(tokenizer.encode(piece)).forEach(expected::add);
                    bytes += piece.getBytes(StandardCharsets.UTF_8).length;
                }
                SplitTokens actual = tokens.get(split);
                assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), actual.tokens());
                assertEquals(bytes, actual.textBytes());
                assertEquals(2, actual.documents());
            }
        }
    }

    @Test
    void folderFilesAreSortedByRelativePathAndHiddenFilesSkipped() throws IOException {
        Files.createDirectories(dir.resolve("b-sub"));
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve("c.txt"), "third\n");
        Files.writeString(dir.resolve("a.txt"), "first\n");
        Files.writeString(dir.resolve("b-sub/x.txt"), "second\n");
        Files.writeString(dir.resolve(".hidden"), "no\n");
        Files.writeString(dir.resolve(".git/config"), "no\n");
        TextCorpus corpus = TextCorpus.fromPath(dir);
        assertEquals(List.of("a.txt", "b-sub/x.txt", "c.txt"), corpus.documents().stream().map(Document::name).toList());
        assertEquals(List.of("first\n", "second\n", "third\n"), corpus.documents().stream().map(Document::text).toList());
    }

    @Test
    void byteOrderMarkIsDropped() throws IOException {
        Path file = dir.resolve("bom.txt");
        Files.write(file, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i', '\n'});
        assertEquals("hi\n", TextCorpus.fromPath(file).documents().get(0).text());
    }

    @Test
    void missingPathNamesThePathAndWhatIsExpected() {
        Path missing = dir.resolve("nope.txt");
        CorpusNotFoundException e = assertThrows(CorpusNotFoundException.class, () -> TextCorpus.fromPath(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("UTF-8 text file"),
                e.getMessage());
        assertThrows(CorpusNotFoundException.class, () -> Corpora.fromPath(missing));
    }

    @Test
    void emptyInputsAreRejected() throws IOException {
        EmptyCorpusException folder = assertThrows(EmptyCorpusException.class, () -> TextCorpus.fromPath(dir));
        assertTrue(folder.getMessage().contains("no (non-hidden) files"), folder.getMessage());
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        assertThrows(EmptyCorpusException.class, () -> TextCorpus.fromPath(empty));
        assertThrows(EmptyCorpusException.class, () -> TextCorpus.fromPath(dir));
        assertThrows(EmptyCorpusException.class,
                () -> TextCorpus.of("e", "none", List.of(), SplitFractions.DEFAULT));
    }

    @Test
    void invalidUtf8NamesTheFileAndByteOffset() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("texts"));
        Files.writeString(folder.resolve("a-good.txt"), "fine\n");
        Path bad = folder.resolve("b-bad.txt");
        byte[] prefix = "caf".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[prefix.length + 3];
        System.arraycopy(prefix, 0, bytes, 0, prefix.length);
        bytes[3] = (byte) 0xE9; // Latin-1 'é', not UTF-8
        bytes[4] = ' ';
        bytes[5] = 'x';
        Files.write(bad, bytes);
        InvalidTextException e = assertThrows(InvalidTextException.class, () -> TextCorpus.fromPath(folder));
        assertEquals(bad.toString(), e.source());
        assertEquals(3, e.byteOffset());
        assertTrue(e.getMessage().contains("b-bad.txt") && e.getMessage().contains("byte offset 3")
                && e.getMessage().contains("0xE9"), e.getMessage());
    }

    @Test
    void invalidUtf8DeepInALargeFileAndTruncatedAtTheEnd() throws IOException {
        // 150,000 bytes of valid two-byte characters cross several 64 KiB read buffers before the bad byte.
        byte[] valid = "é".repeat(75_000).getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[valid.length + 2];
        System.arraycopy(valid, 0, bytes, 0, valid.length);
        bytes[valid.length] = (byte) 0xFF;
        bytes[valid.length + 1] = 'a';
        Path file = dir.resolve("big.txt");
        Files.write(file, bytes);
        assertEquals(150_000, assertThrows(InvalidTextException.class, () -> TextCorpus.fromPath(file)).byteOffset());

        byte[] truncated = {'o', 'k', (byte) 0xE2, (byte) 0x82}; // first two bytes of '€'
        Files.write(file, truncated);
        assertEquals(2, assertThrows(InvalidTextException.class, () -> TextCorpus.fromPath(file)).byteOffset());
    }

    @Test
    void largeMultibyteFileDecodesExactlyAcrossBuffers() throws IOException {
        String text = "aé日😀\n".repeat(40_000);
        Path file = dir.resolve("multi.txt");
        Files.writeString(file, text);
        assertEquals(text, TextCorpus.fromPath(file).documents().get(0).text());
    }

    @Test
    void badFractionsAreRejected() {
        assertThrows(InvalidConfigException.class, () -> new SplitFractions(1.0, 0.0));
        assertThrows(InvalidConfigException.class, () -> new SplitFractions(0.9, 0.2));
        assertThrows(InvalidConfigException.class, () -> new SplitFractions(0.5, -0.1));
    }
}
