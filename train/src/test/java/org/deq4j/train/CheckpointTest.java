package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path dir;

    private static Checkpoint sample(long step) {
        ComputationGraph graph = TinyModels.mlp(4, 8, 3, 1e-2, 1e-4, step);
        graph.fit(Blobs.iterator(16, 4, 3, 16, 1, 1).next()); // non-trivial updater state
        MetricsLog log = new MetricsLog("accuracy", "examples");
        log.add(new MetricRow(MetricRow.Kind.TRAIN, 1, 0, 0.1 + 1e-17 * step, 3e-4, Double.NaN, 123.25, 8, 1 << 20, 3 << 20));
        log.add(new MetricRow(MetricRow.Kind.EVAL, 1, 1, Double.NaN, 3e-4, 0.75, Double.NaN, Double.NaN, 2 << 20, 5 << 20));
        TrainerState state = new TrainerState(step, 1, new StreamPosition(1, 32),
                new ReduceOnPlateau.State(1.0 / 3, 7, Double.POSITIVE_INFINITY, 2, 0.25, 2), -5, 3e-4, 123456789);
        return new Checkpoint(graph, state, log, Map.of("preset", "tiny", "seed", "3"));
    }

    private static void assertSame(Checkpoint expected, Checkpoint actual) {
        assertEquals(expected.state(), actual.state());
        assertArrayEquals(expected.graph().params().toDoubleVector(), actual.graph().params().toDoubleVector());
        assertArrayEquals(expected.graph().getUpdater().getStateViewArray().toDoubleVector(),
                actual.graph().getUpdater().getStateViewArray().toDoubleVector());
        assertEquals(expected.graph().getConfiguration().getIterationCount(), actual.graph().getConfiguration().getIterationCount());
        assertEquals(expected.metrics().rows(), actual.metrics().rows());
        assertEquals(expected.metrics().header(), actual.metrics().header());
        assertEquals(expected.settings(), actual.settings());
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void roundTripsExactly() {
        Checkpoint c = sample(3);
        Path file = c.write(dir);
        assertEquals(Checkpoint.fileIn(dir), file);
        assertSame(c, Checkpoint.read(file));
    }

    @Test
    void settingsAndStateAreReadWithoutTheModel() {
        Checkpoint c = sample(1);
        Path file = c.write(dir);
        assertEquals(Map.of("preset", "tiny", "seed", "3"), Checkpoint.readSettings(file));
        assertEquals(c.state(), Checkpoint.readState(file));
        assertThrows(CheckpointException.class, () -> Checkpoint.readState(dir.resolve("nope.zip")));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoint.readSettings(dir.resolve("nope.zip")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void crashDuringWriteKeepsThePreviousCheckpoint() throws IOException {
        Checkpoint good = sample(1);
        Path file = good.write(dir);
        byte[] before = Files.readAllBytes(file);
        // the "crash": the stream fails after 3000 bytes, in the middle of the model entry
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> sample(2).write(dir, out -> new FailingStream(out, 3000)));
        assertEquals(file, e.file());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file), files()); // the temporary file is gone
        assertSame(good, Checkpoint.read(file));
    }

    @Test
    void leftoverTemporaryFileOfAKilledWriterIsIgnoredAndCleaned() throws IOException {
        Checkpoint good = sample(1);
        good.write(dir);
        Path stale = dir.resolve("checkpoint-123.tmp");
        Files.write(stale, new byte[] {'P', 'K', 3, 4, 0}); // a process killed mid-write leaves a partial temp file
        assertSame(good, Checkpoint.read(Checkpoint.fileIn(dir)));
        sample(2).write(dir);
        assertEquals(List.of(Checkpoint.fileIn(dir)), files());
        assertEquals(2, Checkpoint.read(Checkpoint.fileIn(dir)).state().step());
    }

    @Test
    void truncatedCheckpointIsRejectedNamingTheFile() throws IOException {
        Path file = sample(1).write(dir);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("corrupt or truncated"), e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void corruptedByteIsDetected() throws IOException {
        Path file = sample(1).write(dir);
        byte[] bytes = Files.readAllBytes(file);
        // the first entry (trainer.properties) is stored deflated at the start of the file; flip a byte of its data
        bytes[60] ^= 0x5A;
        Files.write(file, bytes);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void missingOrForeignFilesAreRejected() throws IOException {
        Path missing = dir.resolve("nope.zip");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(missing));
        assertTrue(e.getMessage().contains("no such file") && e.getMessage().contains(missing.toString()), e.getMessage());
        Path text = dir.resolve("text.zip");
        Files.writeString(text, "not a zip");
        assertThrows(CheckpointException.class, () -> Checkpoint.read(text));
        Path resume = dir.resolve("run");
        CheckpointException r = assertThrows(CheckpointException.class,
                () -> Trainer.resume(TrainerConfig.builder(resume).build()));
        assertEquals(Checkpoint.fileIn(resume), r.file());
    }

    /** Passes {@code limit} bytes through, then fails like a full disk or a dying process. */
    private static final class FailingStream extends FilterOutputStream {
        private long left;

        FailingStream(OutputStream out, long limit) {
            super(out);
            this.left = limit;
        }

        @Override
        public void write(int b) throws IOException {
            if (left-- <= 0) {
                throw new IOException("simulated crash");
            }
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }
    }
}
