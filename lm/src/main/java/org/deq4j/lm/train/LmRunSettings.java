package org.deq4j.lm.train;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.corpus.Corpora;
import org.deq4j.lm.corpus.Corpus;
import org.deq4j.lm.model.DeqLanguageModelConfig;
import org.deq4j.lm.token.Tokenizer;

/**
 * What a language-model training run was started with, saved as {@value #FILE_NAME} next to its
 * checkpoint so that {@code lm eval}, {@code lm generate} and {@code --resume} rebuild the same data
 * pipeline and tokenizer.
 *
 * @param preset    {@link DeqLanguageModelConfig#preset} name
 * @param tokenizer {@link Tokenizer#named} name; when it differs from the preset's, the vocabulary becomes
 *                  the tokenizer's padded size
 * @param data      corpus path ({@link Corpora#fromPath}), or empty for the embedded Jane Austen corpus
 * @param batchSize windows per training batch
 * @param seed      seed of the initialisation, the shuffles and the trainer
 * @param gradient  how the DEQ is differentiated
 */
public record LmRunSettings(String preset, String tokenizer, Optional<Path> data, int batchSize, long seed,
        GradientStrategy gradient) {

    /** File name inside a run's output directory. */
    public static final String FILE_NAME = "lm-run.properties";

    /** @throws InvalidConfigException if the preset or tokenizer is unknown or the batch size not positive */
    public LmRunSettings {
        DeqLanguageModelConfig.preset(preset);
        Tokenizer.named(tokenizer);
        if (batchSize < 1) {
            throw new InvalidConfigException("batch size must be positive, got " + batchSize);
        }
    }

    /** The model: the preset, with the vocabulary adapted to the tokenizer and the batch size replaced. */
    public DeqLanguageModelConfig model() {
        DeqLanguageModelConfig p = DeqLanguageModelConfig.preset(preset);
        int vocab = tokenizer.equals(p.tokenizer()) ? p.vocabSize() : createTokenizer().paddedVocabSize();
        return new DeqLanguageModelConfig(p.name(), tokenizer, vocab, p.contextLength(), p.dModel(), p.heads(),
                p.mlpHidden(), p.twoHiddenLayers(), p.layerNormEps(), p.beta(), p.tol(), p.maxSteps(), batchSize,
                p.learningRate(), p.weightDecay(), p.epochs());
    }

    /** A new tokenizer of this run. */
    public Tokenizer createTokenizer() {
        return Tokenizer.named(tokenizer);
    }

    /** The corpus of this run. */
    public Corpus corpus() {
        return data.map(Corpora::fromPath).orElseGet(Corpora::embedded);
    }

    /** Writes {@code dir}/{@value #FILE_NAME}. */
    public void write(Path dir) {
        Properties p = new Properties();
        p.setProperty("preset", preset);
        p.setProperty("tokenizer", tokenizer);
        data.ifPresent(d -> p.setProperty("data", d.toAbsolutePath().toString()));
        p.setProperty("batchSize", Integer.toString(batchSize));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("gradient", gradient.id());
        try {
            Files.createDirectories(dir);
            try (Writer w = Files.newBufferedWriter(dir.resolve(FILE_NAME), StandardCharsets.UTF_8)) {
                p.store(w, "deq4j lm run");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir.resolve(FILE_NAME) + " failed", e);
        }
    }

    /**
     * Reads {@code dir}/{@value #FILE_NAME}.
     *
     * @throws InvalidConfigException if the file is missing or a value is missing or invalid
     */
    public static LmRunSettings read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new InvalidConfigException("no " + FILE_NAME + " in " + dir + ": not a deq4j lm run directory");
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + " failed", e);
        }
        try {
            return new LmRunSettings(required(p, file, "preset"), required(p, file, "tokenizer"),
                    Optional.ofNullable(p.getProperty("data")).map(Path::of),
                    Integer.parseInt(required(p, file, "batchSize")), Long.parseLong(required(p, file, "seed")),
                    GradientStrategy.parse(required(p, file, "gradient")));
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(file + ": " + e.getMessage());
        }
    }

    private static String required(Properties p, Path file, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new InvalidConfigException(file + " lacks '" + key + "'");
        }
        return v;
    }
}
