package org.deq4j.zoo.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;

/** Writes small CIFAR and IDX files with known content, independently of the readers under test. */
final class TestFiles {
    private TestFiles() {
    }

    /** The pixel value the generated files hold at (record, channel, y, x); distinct enough to catch layout mistakes. */
    static int pixel(int record, int c, int y, int x) {
        return (record * 37 + c * 101 + y * 7 + x * 3) & 0xFF;
    }

    /** A CIFAR file: per record the label bytes, then R, G, B planes of 32x32, with {@link #pixel} values numbered from firstRecord. */
    static void cifar(Path file, int firstRecord, int[]... labelBytes) {
        int n = labelBytes[0].length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int r = 0; r < n; r++) {
            for (int[] lb : labelBytes) {
                out.write(lb[r]);
            }
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        out.write(pixel(firstRecord + r, c, y, x));
                    }
                }
            }
        }
        write(file, out.toByteArray());
    }

    /** IDX images (magic 0x803, big-endian header) with {@link #pixel} values of channel 0. */
    static byte[] idxImages(int count, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * rows * cols);
        b.putInt(0x803).putInt(count).putInt(rows).putInt(cols);
        for (int r = 0; r < count; r++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    b.put((byte) pixel(r, 0, y, x));
                }
            }
        }
        return b.array();
    }

    /** IDX labels (magic 0x801). */
    static byte[] idxLabels(int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(0x801).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An in-memory data set of n single-channel 2x2 images whose pixels all equal their index, labels index % classes. */
    static ImageDataset indexed(int n, int classes) {
        ImageShape shape = new ImageShape(1, 2, 2);
        byte[] px = new byte[n * 4];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                px[i * 4 + k] = (byte) i;
            }
            labels[i] = i % classes;
        }
        List<String> names = IntStream.range(0, classes).mapToObj(c -> "c" + c).toList();
        return new ImageDataset("indexed", shape, px, labels, names);
    }
}
