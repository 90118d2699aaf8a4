package org.deq4j.lm.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Entry points to the built-in corpus sources: the embedded default (Jane Austen's six novels), any
 * UTF-8 text file or folder, and WikiText-103.
 */
public final class Corpora {

    /** Resource folder of the embedded corpus; see {@code SOURCE.md} there for its origin. */
    public static final String EMBEDDED_FOLDER = "/org/deq4j/lm/corpus/austen/";

    /** The six novels in publication order of the janeaustenr package, one gzipped UTF-8 file each. */
    public static final List<String> EMBEDDED_NOVELS = List.of(
            "1-sense-and-sensibility", "2-pride-and-prejudice", "3-mansfield-park",
            "4-emma", "5-northanger-abbey", "6-persuasion");

    private Corpora() {
    }

    private static final class Embedded {
        static final TextCorpus AUSTEN = load();

        private static TextCorpus load() {
            List<Document> novels = new ArrayList<>();
            for (String novel : EMBEDDED_NOVELS) {
                String resource = EMBEDDED_FOLDER + novel + ".txt.gz";
                InputStream raw = Corpora.class.getResourceAsStream(resource);
                if (raw == null) {
                    throw new CorpusNotFoundException("embedded corpus resource " + resource
                            + " is missing from the classpath; is the deq4j-lm jar complete?");
                }
                try (InputStream in = new GZIPInputStream(raw, 1 << 16)) {
                    novels.add(new Document(novel, Utf8Reader.readAll(in, resource)));
                } catch (IOException e) {
                    throw new CorpusException("cannot read embedded resource " + resource + ": " + e.getMessage(), e);
                }
            }
            return TextCorpus.of("austen", "Jane Austen's six novels (public domain; embedded, from Debian"
                    + " r-cran-janeaustenr 1.0.0-1)", novels, SplitFractions.DEFAULT);
        }
    }

    /**
     * The embedded default: Jane Austen's six completed novels, 4,025,029 bytes of UTF-8 text, one document
     * per novel, split 90/5/5 within each novel. Loaded once (about 0.1 s) and shared; it is immutable.
     */
    public static TextCorpus embedded() {
        return Embedded.AUSTEN;
    }

    /**
     * A corpus from a path: a WikiText folder (one with {@code wiki.train.tokens}) as a
     * {@link WikiTextCorpus}, any other file or folder as a {@link TextCorpus} split 90/5/5.
     */
    public static Corpus fromPath(Path path) {
        return WikiTextCorpus.isWikiTextFolder(path) ? WikiTextCorpus.open(path) : TextCorpus.fromPath(path);
    }
}
