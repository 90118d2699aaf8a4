package org.deq4j.train;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.deq4j.core.DeqException;
import org.deq4j.train.compat.OneDnnLayerHelpers;

/**
 * A saved training run: the model with its updater state, the {@link TrainerState}, the metrics log so
 * far and the settings the run was started with.
 *
 * <p>File format: a zip with {@code trainer.properties}, {@code metrics.csv}, {@code run.properties}
 * (the settings) and {@code model.zip} (DL4J {@link ModelSerializer} output, updater included). Zip CRCs detect corruption; the central
 * directory at the end detects truncation.
 *
 * <p>Writing is atomic: the checkpoint goes to a temporary file in the same directory, is fsynced,
 * re-read to verify every entry's CRC, and only then renamed over the previous one with
 * {@code ATOMIC_MOVE} (the directory is fsynced too). A failure or crash at any point leaves the
 * previous checkpoint intact; stale temporary files are removed by the next write.
 *
 * @param graph    the model, updater state included
 * @param state    trainer state
 * @param metrics  the log up to the checkpoint
 * @param settings the run's settings ({@link TrainerConfig#runSettings}): the program that trains chooses
 *                 the keys and reads them back (the deq4j command line keeps its one run-settings type
 *                 there); the trainer stores them and does not interpret them
 */
public record Checkpoint(ComputationGraph graph, TrainerState state, MetricsLog metrics, Map<String, String> settings) {

    public Checkpoint {
        settings = Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** Name of the checkpoint file inside an output directory. */
    public static final String FILE_NAME = "checkpoint.zip";

    private static final String STATE_ENTRY = "trainer.properties";
    private static final String METRICS_ENTRY = "metrics.csv";
    private static final String MODEL_ENTRY = "model.zip";
    private static final String SETTINGS_ENTRY = "run.properties";
    private static final int ENTRIES = 4;
    private static final String TEMP_PREFIX = "checkpoint-";
    private static final String TEMP_SUFFIX = ".tmp";

    /** The checkpoint file of output directory {@code dir}. */
    public static Path fileIn(Path dir) {
        return dir.resolve(FILE_NAME);
    }

    /**
     * Writes this checkpoint atomically to {@code dir}/{@value #FILE_NAME}.
     *
     * @return the checkpoint file
     * @throws CheckpointException if writing fails; the previous checkpoint is then unchanged
     */
    public Path write(Path dir) {
        return write(dir, UnaryOperator.identity());
    }

    /** {@link #write(Path)} with a wrapper around the output stream, so tests can inject a crash mid-write. */
    Path write(Path dir, UnaryOperator<OutputStream> streamWrapper) {
        Path target = fileIn(dir);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            removeStaleTemps(dir);
            tmp = Files.createTempFile(dir, TEMP_PREFIX, TEMP_SUFFIX);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = streamWrapper.apply(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
                 ZipOutputStream zip = new ZipOutputStream(out)) {
                zip.putNextEntry(new ZipEntry(STATE_ENTRY));
                state.toProperties().store(zip, "deq4j trainer state");
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(METRICS_ENTRY));
                Writer w = new OutputStreamWriter(zip, StandardCharsets.UTF_8);
                metrics.writeCsv(w);
                w.flush();
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(SETTINGS_ENTRY));
                Properties run = new Properties();
                run.putAll(settings);
                run.store(zip, "deq4j run settings");
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(MODEL_ENTRY));
                ModelSerializer.writeModel(graph, zip, true);
                zip.closeEntry();
                zip.finish();
                out.flush();
                channel.force(true);
            }
            verify(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            syncDirectory(dir);
            return target;
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(target, "writing failed, previous checkpoint kept: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The next write removes stale temporary files.
                }
            }
        }
    }

    /**
     * Reads a checkpoint file.
     *
     * @throws CheckpointException naming the file if it is missing, truncated, corrupt or of an unknown format
     */
    public static Checkpoint read(Path file) {
        return readZip(file, zip -> {
            TrainerState state = state(zip, file);
            MetricsLog metrics;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(entry(zip, file, METRICS_ENTRY),
                    StandardCharsets.UTF_8))) {
                metrics = MetricsLog.readCsv(in);
            }
            Map<String, String> settings = settings(zip, file);
            ComputationGraph graph;
            try (InputStream in = entry(zip, file, MODEL_ENTRY)) {
                graph = ModelSerializer.restoreComputationGraph(in, true);
            }
            // the same kernels as the run that wrote it: a resumed run continues bit for bit
            OneDnnLayerHelpers.install(graph);
            return new Checkpoint(graph, state, metrics, settings);
        });
    }

    /**
     * The run settings stored in a checkpoint file, without loading its model: cheap enough to decide
     * what a checkpoint is before reading it.
     *
     * @throws CheckpointException naming the file if it is missing, corrupt or not a deq4j checkpoint
     */
    public static Map<String, String> readSettings(Path file) {
        return readZip(file, zip -> settings(zip, file));
    }

    /**
     * The trainer state stored in a checkpoint file (steps, epochs, training time), without loading its model.
     *
     * @throws CheckpointException naming the file if it is missing, corrupt or not a deq4j checkpoint
     */
    public static TrainerState readState(Path file) {
        return readZip(file, zip -> state(zip, file));
    }

    /** What reads a checkpoint's zip. */
    @FunctionalInterface
    private interface ZipReader<T> {
        T read(ZipFile zip) throws IOException;
    }

    /** Opens {@code file} as a zip for {@code reader}, turning every failure into an error naming the file. */
    private static <T> T readZip(Path file, ZipReader<T> reader) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return reader.read(zip);
        } catch (CheckpointException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "no such file", e);
        } catch (ZipException e) {
            throw new CheckpointException(file, "corrupt or truncated (" + e.getMessage() + ")", e);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file, "unreadable (" + e + ")", e);
        }
    }

    private static TrainerState state(ZipFile zip, Path file) throws IOException {
        try (InputStream in = entry(zip, file, STATE_ENTRY)) {
            Properties p = new Properties();
            p.load(in);
            return TrainerState.fromProperties(p);
        }
    }

    private static Map<String, String> settings(ZipFile zip, Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = entry(zip, file, SETTINGS_ENTRY)) {
            p.load(in);
        }
        Map<String, String> m = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    private static InputStream entry(ZipFile zip, Path file, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new CheckpointException(file, "not a deq4j checkpoint: entry '" + name + "' is missing");
        }
        return zip.getInputStream(e);
    }

    /** Reads every entry to its end, which makes the zip reader check its CRC. */
    private static void verify(Path file) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            int count = 0;
            while (entries.hasMoreElements()) {
                try (InputStream in = zip.getInputStream(entries.nextElement())) {
                    while (in.read(buffer) >= 0) {
                        // reading is the check
                    }
                }
                count++;
            }
            if (count != ENTRIES) {
                throw new DeqException("written checkpoint has " + count + " entries instead of " + ENTRIES);
            }
        }
    }

    private static void removeStaleTemps(Path dir) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

    // Makes the rename itself durable; some file systems refuse to open directories, which only costs durability.
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // best effort, see above
        }
    }
}
