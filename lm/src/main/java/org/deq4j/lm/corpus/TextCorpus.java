package org.deq4j.lm.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A single-source corpus held in memory: one text file, a folder of them, or the embedded default.
 *
 * <p>Splits are contiguous fractions of every document (default {@link SplitFractions#DEFAULT 90/5/5}):
 * document {@code d} of length {@code L} chars is cut at {@code L*train} and {@code L*(train+validation)},
 * each cut moved forward to the start of the next line (or kept where it is when no newline follows), so
 * the three splits are disjoint, cover the text exactly, and every document contributes to each split.
 * Within a split the documents' pieces keep their order and are separated by the tokenizer's
 * document separator.
 *
 * <p>A folder is read recursively; regular files whose name does not start with {@code '.'} are taken in
 * order of their relative path (with {@code '/'} separators, compared as strings), each file one
 * document. Files must be UTF-8 ({@link InvalidTextException} otherwise); a leading byte-order mark is
 * dropped, nothing else is normalised.
 */
public final class TextCorpus implements Corpus {

    private final String name;
    private final String origin;
    private final List<Document> documents;
    private final SplitFractions fractions;
    private final int[][] cuts; // per document: {start of validation, start of test}

    private TextCorpus(String name, String origin, List<Document> documents, SplitFractions fractions) {
        this.name = name;
        this.origin = origin;
        this.documents = List.copyOf(documents);
        this.fractions = fractions;
        this.cuts = new int[this.documents.size()][];
        long chars = 0;
        for (int i = 0; i < cuts.length; i++) {
            String text = this.documents.get(i).text();
            chars += text.length();
            int validationStart = snap(text, (long) Math.floor(text.length() * fractions.train()));
            int testStart = Math.max(validationStart,
                    snap(text, (long) Math.floor(text.length() * (fractions.train() + fractions.validation()))));
            cuts[i] = new int[] {validationStart, testStart};
        }
        if (chars == 0) {
            throw new EmptyCorpusException("corpus '" + name + "' (" + origin + ") contains no text");
        }
    }

    /**
     * A corpus over documents already in memory.
     *
     * @throws EmptyCorpusException if there are no documents or all are empty
     */
    public static TextCorpus of(String name, String origin, List<Document> documents, SplitFractions fractions) {
        return new TextCorpus(name, origin, documents, fractions);
    }

    /** A UTF-8 text file or a folder of them, split {@link SplitFractions#DEFAULT 90/5/5}. */
    public static TextCorpus fromPath(Path path) {
        return fromPath(path, SplitFractions.DEFAULT);
    }

    /**
     * A UTF-8 text file (one document) or a folder of them (one document per file, sorted by relative path).
     *
     * @throws CorpusNotFoundException if {@code path} does not exist or cannot be read
     * @throws EmptyCorpusException    if there is no file or no text
     * @throws InvalidTextException    if a file is not valid UTF-8
     */
    public static TextCorpus fromPath(Path path, SplitFractions fractions) {
        Path absolute = path.toAbsolutePath().normalize();
        if (!Files.exists(absolute)) {
            throw new CorpusNotFoundException("no file or folder at " + absolute + " (working directory "
                    + Path.of("").toAbsolutePath() + "); give a UTF-8 text file, a folder of text files, or a"
                    + " WikiText-103 folder holding wiki.train.tokens, wiki.valid.tokens and wiki.test.tokens");
        }
        List<Path> files = Files.isDirectory(absolute) ? listFiles(absolute) : List.of(absolute);
        if (files.isEmpty()) {
            throw new EmptyCorpusException("folder " + absolute + " contains no (non-hidden) files");
        }
        List<Document> documents = new ArrayList<>(files.size());
        for (Path file : files) {
            String relative = Files.isDirectory(absolute)
                    ? absolute.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/")
                    : file.getFileName().toString();
            documents.add(new Document(relative, readFile(file)));
        }
        String name = absolute.getFileName() == null ? absolute.toString() : absolute.getFileName().toString();
        return new TextCorpus(name, absolute.toString(), documents, fractions);
    }

    static String readFile(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Utf8Reader.readAll(in, file.toString());
        } catch (IOException e) {
            throw new CorpusNotFoundException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> listFiles(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !isHidden(root.relativize(p)))
                    .sorted(Comparator.comparing(p -> root.relativize(p).toString()
                            .replace(p.getFileSystem().getSeparator(), "/")))
                    .toList();
        } catch (IOException e) {
            throw new CorpusNotFoundException("cannot list folder " + root + ": " + e.getMessage(), e);
        }
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    // First line start at or after `target`; `target` itself when no newline follows.
    private static int snap(String text, long target) {
        int t = (int) Math.min(target, text.length());
        if (t == 0 || t == text.length() || text.charAt(t - 1) == '\n') {
            return t;
        }
        int newline = text.indexOf('\n', t);
        if (newline >= 0) {
            return newline + 1;
        }
        return Character.isLowSurrogate(text.charAt(t)) ? t + 1 : t;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return origin + "; " + documents.size() + " document(s), each divided into contiguous line-aligned "
                + percent(fractions.train()) + " / " + percent(fractions.validation()) + " / "
                + percent(fractions.test()) + " train / validation / test parts";
    }

    private static String percent(double f) {
        return new BigDecimal(100 * f).round(new MathContext(4)).stripTrailingZeros().toPlainString() + " %";
    }

    /** The documents in corpus order. */
    public List<Document> documents() {
        return documents;
    }

    public SplitFractions fractions() {
        return fractions;
    }

    /** The part of document {@code index} that belongs to {@code split}. */
    public String piece(int index, Split split) {
        String text = documents.get(index).text();
        int[] c = cuts[index];
        return switch (split) {
            case TRAIN -> text.substring(0, c[0]);
            case VALIDATION -> text.substring(c[0], c[1]);
            case TEST -> text.substring(c[1]);
        };
    }

    /** Sends the non-empty pieces of every document for {@code split}, in document order. */
    @Override
    public void read(Split split, DocumentSink sink) {
        for (int i = 0; i < documents.size(); i++) {
            String piece = piece(i, split);
            if (!piece.isEmpty()) {
                sink.text(piece);
                sink.endDocument();
            }
        }
    }

    @Override
    public String toString() {
        return "TextCorpus[" + name + ", " + documents.size() + " documents]";
    }
}
