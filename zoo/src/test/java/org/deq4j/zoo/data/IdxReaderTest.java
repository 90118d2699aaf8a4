package org.deq4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
    private static final List<String> TEN = Datasets.FASHION_MNIST_CLASSES;
    private static final int[] LABELS = {3, 0, 9, 9, 1, 5, 2};

    @TempDir
    Path dir;

    private Path file(String name, byte[] content, boolean gzip) {
        return TestFiles.write(dir.resolve(name), gzip ? TestFiles.gzip(content) : content);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void readsRawAndGzipFilesRowMajor(boolean gzip) {
        // Non-square images catch a swapped row/column order; the file names carry no .gz hint.
        Path images = file("imgs", TestFiles.idxImages(LABELS.length, 3, 5), gzip);
        Path labels = file("labs", TestFiles.idxLabels(LABELS), gzip);
        ImageDataset data = IdxReader.read(images, labels, "t", TEN);
        assertEquals(new ImageShape(1, 3, 5), data.shape());
        assertEquals(LABELS.length, data.size());
        for (int r = 0; r < LABELS.length; r++) {
            assertEquals(LABELS[r], data.label(r));
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals(TestFiles.pixel(r, 0, y, x), data.pixel(r, 0, y, x));
                }
            }
        }
    }

    @Test
    void folderWithPlainAndGzipNamesLoadsAsMnist() {
        file("train-images-idx3-ubyte", TestFiles.idxImages(7, 28, 28), false);
        file("train-labels-idx1-ubyte.gz", TestFiles.idxLabels(LABELS), true);
        file("t10k-images-idx3-ubyte.gz", TestFiles.idxImages(2, 28, 28), true);
        file("t10k-labels-idx1-ubyte", TestFiles.idxLabels(4, 8), false);
        DataSplits s = Datasets.mnist(Optional.of(dir));
        assertEquals(7, s.train().size());
        assertEquals(List.of(4, 8), List.of(s.test().label(0), s.test().label(1)));
        assertEquals("8", s.test().classNames().get(8));
        assertEquals(DataOrigin.EXPLICIT, s.origin());
    }

    @Test
    void wrongMagicSaysWhatTheFileLooksLike() {
        Path labels = file("labels", TestFiles.idxLabels(LABELS), true);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(labels, labels, "t", TEN));
        assertEquals(labels.toString(), e.file());
        assertTrue(e.getMessage().contains("wrong magic number 0x00000801, expected 0x00000803"), e.getMessage());
        assertTrue(e.getMessage().contains("labels file"), e.getMessage());
    }

    @Test
    void truncatedRawFileNamesTheCutRecord() {
        byte[] full = TestFiles.idxImages(LABELS.length, 28, 28);
        Path images = file("imgs", Arrays.copyOf(full, 16 + 4 * 784 + 100), false);
        Path labels = file("labs", TestFiles.idxLabels(LABELS), false);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, "t", TEN));
        assertEquals(OptionalLong.of(4), e.record());
        assertTrue(e.getMessage().contains(images + ", record 4: file is truncated: it ends after 100 of the 784 bytes"),
                e.getMessage());
    }

    @Test
    void truncatedGzipStreamNamesFileAndRecord() {
        byte[] gz = TestFiles.gzip(TestFiles.idxImages(LABELS.length, 28, 28));
        Path images = file("imgs.gz", Arrays.copyOf(gz, gz.length / 2), false);
        Path labels = file("labs", TestFiles.idxLabels(LABELS), false);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, "t", TEN));
        assertEquals(images.toString(), e.file());
        assertTrue(e.record().isPresent() && e.record().getAsLong() < LABELS.length, e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedHeaderIsReported() {
        Path images = file("imgs", Arrays.copyOf(TestFiles.idxImages(1, 2, 2), 10), false);
        Path labels = file("labs", TestFiles.idxLabels(1), false);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, "t", TEN));
        assertTrue(e.getMessage().contains("header") && e.getMessage().contains("row count"), e.getMessage());
    }

    @Test
    void trailingDataIsReported() {
        byte[] full = TestFiles.idxImages(3, 2, 2);
        Path images = file("imgs", Arrays.copyOf(full, full.length + 5), false);
        Path labels = file("labs", TestFiles.idxLabels(1, 2, 3), false);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, "t", TEN));
        assertTrue(e.getMessage().contains("data after its last record (record 2)"), e.getMessage());
    }

    @Test
    void labelOutOfRangeNamesRecordAndValue() {
        Path images = file("imgs", TestFiles.idxImages(5, 2, 2), true);
        Path labels = file("labs", TestFiles.idxLabels(1, 2, 3, 10, 4), true);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, "t", TEN));
        assertEquals(labels.toString(), e.file());
        assertTrue(e.getMessage().contains(labels + ", record 3: label 10 is out of range [0, 9]"), e.getMessage());
    }

    @Test
    void countMismatchNamesBothFiles() {
        Path images = file("imgs", TestFiles.idxImages(5, 2, 2), false);
        Path labels = file("labs", TestFiles.idxLabels(1, 2, 3, 4), false);
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, "t", TEN));
        assertTrue(e.getMessage().contains(images + ": holds 5 images but " + labels + " holds 4 labels"), e.getMessage());
    }

    @Test
    void missingFilesGiveTheDebianHint() {
        DataNotFoundException e = assertThrows(DataNotFoundException.class, () -> Datasets.fashionMnist(Optional.of(dir)));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        DataNotFoundException direct = assertThrows(DataNotFoundException.class,
                () -> IdxReader.read(dir.resolve("a"), dir.resolve("b"), "t", TEN));
        assertEquals(dir.resolve("a").toString(), direct.file());
    }
}
