package org.deq4j.lm.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * WikiText-103 (or WikiText-2) as released: a folder with {@code wiki.train.tokens},
 * {@code wiki.valid.tokens} and {@code wiki.test.tokens} (the raw variant's {@code wiki.*.raw} names are
 * accepted too). The corpus's own split is used; each file is read as one continuous document (the
 * usual practice for WikiText language modelling: articles are not separated), streamed in chunks so the
 * 540 MB training file is never one string. Files must be UTF-8.
 */
public final class WikiTextCorpus implements Corpus {

    private static final Map<Split, String> STEMS = Map.of(
            Split.TRAIN, "wiki.train", Split.VALIDATION, "wiki.valid", Split.TEST, "wiki.test");

    private final Path folder;
    private final Map<Split, Path> files;

    private WikiTextCorpus(Path folder, Map<Split, Path> files) {
        this.folder = folder;
        this.files = files;
    }

    /**
     * Opens a WikiText folder; the files are read later, by {@link #read}.
     *
     * @throws CorpusNotFoundException if the folder or one of the three split files is missing
     * @throws EmptyCorpusException    if a split file is empty
     */
    public static WikiTextCorpus open(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute)) {
            throw new CorpusNotFoundException("no WikiText folder at " + absolute + " (working directory "
                    + Path.of("").toAbsolutePath() + "); give the folder that holds wiki.train.tokens,"
                    + " wiki.valid.tokens and wiki.test.tokens (e.g. the unzipped wikitext-103/)");
        }
        Map<Split, Path> files = new EnumMap<>(Split.class);
        List<String> missing = new ArrayList<>();
        for (Split split : Split.values()) {
            Optional<Path> file = find(absolute, STEMS.get(split));
            file.ifPresent(f -> files.put(split, f));
            if (file.isEmpty()) {
                missing.add(STEMS.get(split) + ".tokens");
            }
        }
        if (!missing.isEmpty()) {
            throw new CorpusNotFoundException("WikiText folder " + absolute + " lacks " + String.join(", ", missing)
                    + "; it must hold wiki.train.tokens, wiki.valid.tokens and wiki.test.tokens");
        }
        for (Path file : files.values()) {
            try {
                if (Files.size(file) == 0) {
                    throw new EmptyCorpusException("WikiText split file " + file + " is empty");
                }
            } catch (IOException e) {
                throw new CorpusNotFoundException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return new WikiTextCorpus(absolute, files);
    }

    /** Whether {@code folder} looks like a WikiText folder (has a training file). */
    public static boolean isWikiTextFolder(Path folder) {
        return Files.isDirectory(folder) && find(folder, STEMS.get(Split.TRAIN)).isPresent();
    }

    private static Optional<Path> find(Path folder, String stem) {
        for (String extension : new String[] {".tokens", ".raw"}) {
            Path file = folder.resolve(stem + extension);
            if (Files.isRegularFile(file)) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }

    /** The file that holds {@code split}. */
    public Path file(Split split) {
        return files.get(split);
    }

    @Override
    public String name() {
        return folder.getFileName() == null ? "wikitext" : folder.getFileName().toString();
    }

    @Override
    public String description() {
        return "WikiText at " + folder + "; the corpus's own train / validation / test files, each one document";
    }

    @Override
    public void read(Split split, DocumentSink sink) {
        Path file = files.get(split);
        try (InputStream in = Files.newInputStream(file)) {
            Utf8Reader.read(in, file.toString(), sink::text);
        } catch (IOException e) {
            throw new CorpusNotFoundException("cannot read " + file + ": " + e.getMessage(), e);
        }
        sink.endDocument();
    }

    @Override
    public String toString() {
        return "WikiTextCorpus[" + folder + "]";
    }
}
