package org.deq4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class CifarReaderTest {
    /** Records per training file; labels of record k (over all files) are k % 10. */
    private static final int[] PER_FILE = {3, 2, 4, 1, 2};

    @TempDir
    Path dir;

    private static int[] range(int from, int n, int mod) {
        return IntStream.range(from, from + n).map(k -> k % mod).toArray();
    }

    private Path writeCifar10(Path folder) {
        int k = 0;
        for (int f = 0; f < 5; f++) {
            TestFiles.cifar(folder.resolve("data_batch_" + (f + 1) + ".bin"), k, range(k, PER_FILE[f], 10));
            k += PER_FILE[f];
        }
        TestFiles.cifar(folder.resolve("test_batch.bin"), 100, new int[] {9, 0, 5});
        return folder;
    }

    @Test
    void cifar10RecordsBecomeChannelPlanesInFileOrder() {
        ImageDataset train = CifarReader.cifar10(writeCifar10(dir), Split.TRAIN);
        int n = Arrays.stream(PER_FILE).sum();
        assertEquals(n, train.size());
        assertEquals(new ImageShape(3, 32, 32), train.shape());
        assertEquals(CifarReader.CIFAR10_CLASSES, train.classNames());
        for (int r = 0; r < n; r++) {
            assertEquals(r % 10, train.label(r));
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        assertEquals(TestFiles.pixel(r, c, y, x), train.pixel(r, c, y, x));
                    }
                }
            }
        }
        ImageDataset test = CifarReader.cifar10(dir, Split.TEST);
        assertEquals(3, test.size());
        assertEquals(List.of(9, 0, 5), List.of(test.label(0), test.label(1), test.label(2)));
        assertEquals(TestFiles.pixel(102, 2, 31, 30), test.pixel(2, 2, 31, 30));
    }

    @Test
    void iteratorDeliversNchwFloatsAndOneHotLabels() {
        ImageDataset train = CifarReader.cifar10(writeCifar10(dir), Split.TRAIN);
        try (ImageDataSetIterator it = ImageDataSetIterator.builder(train).batchSize(5).shuffle(false).prefetch(0).build()) {
            it.next();
            DataSet batch = it.next(); // records 5..9
            INDArray f = batch.getFeatures();
            assertArrayEquals(new long[] {5, 3, 32, 32}, f.shape());
            assertEquals(org.nd4j.linalg.api.buffer.DataType.FLOAT, f.dataType());
            for (int i = 0; i < 5; i++) {
                int r = 5 + i;
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < 32; y += 5) {
                        for (int x = 0; x < 32; x += 3) {
                            assertEquals(TestFiles.pixel(r, c, y, x) / 255f, f.getFloat(i, c, y, x), 1e-7f);
                        }
                    }
                }
                for (int k = 0; k < 10; k++) {
                    assertEquals(k == r % 10 ? 1f : 0f, batch.getLabels().getFloat(i, k));
                }
            }
        }
    }

    @Test
    void parentOfExtractedFolderIsAccepted() {
        writeCifar10(dir.resolve("cifar-10-batches-bin"));
        DataSplits splits = Datasets.cifar10(Optional.of(dir));
        assertEquals(12, splits.train().size());
        assertEquals(3, splits.test().size());
        assertEquals(DataOrigin.EXPLICIT, splits.origin());
    }

    @Test
    void cifar100FineAndCoarseLabels() throws IOException {
        Path folder = dir.resolve("cifar-100-binary");
        int[] coarse = {0, 19, 7, 3};
        int[] fine = {99, 0, 42, 17};
        TestFiles.cifar(folder.resolve("train.bin"), 0, coarse, fine);
        TestFiles.cifar(folder.resolve("test.bin"), 50, new int[] {1}, new int[] {2});
        Files.write(folder.resolve("coarse_label_names.txt"),
                IntStream.range(0, 20).mapToObj(i -> "super" + i).toList());
        ImageDataset fineSet = CifarReader.cifar100(dir, Split.TRAIN, Cifar100Labels.FINE);
        ImageDataset coarseSet = CifarReader.cifar100(dir, Split.TRAIN, Cifar100Labels.COARSE);
        assertEquals(100, fineSet.numClasses());
        assertEquals(20, coarseSet.numClasses());
        assertEquals("super19", coarseSet.classNames().get(19));
        assertEquals("42", fineSet.classNames().get(42));
        for (int r = 0; r < 4; r++) {
            assertEquals(fine[r], fineSet.label(r));
            assertEquals(coarse[r], coarseSet.label(r));
            assertEquals(TestFiles.pixel(r, 1, 3, 4), fineSet.pixel(r, 1, 3, 4));
        }
        DataSplits both = Datasets.cifar100(Optional.of(folder), Cifar100Labels.FINE);
        assertEquals(2, both.test().label(0));
        assertEquals(TestFiles.pixel(50, 0, 0, 0), both.test().pixel(0, 0, 0, 0));
    }

    @Test
    void truncatedFileNamesTheCutRecord() throws IOException {
        writeCifar10(dir);
        Path file = dir.resolve("data_batch_3.bin");
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, 2 * 3073 + 100));
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.cifar10(dir, Split.TRAIN));
        assertEquals(OptionalLong.of(2), e.record());
        assertEquals(file.toString(), e.file());
        assertTrue(e.getMessage().contains(file + ", record 2"), e.getMessage());
        assertTrue(e.getMessage().contains("100 of the 3073 bytes"), e.getMessage());
    }

    @Test
    void emptyFileIsRejected() throws IOException {
        writeCifar10(dir);
        Files.write(dir.resolve("test_batch.bin"), new byte[0]);
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.cifar10(dir, Split.TEST));
        assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void labelOutOfRangeNamesRecordAndValue() {
        writeCifar10(dir);
        TestFiles.cifar(dir.resolve("data_batch_2.bin"), 3, new int[] {4, 10});
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.cifar10(dir, Split.TRAIN));
        assertEquals(OptionalLong.of(1), e.record());
        assertTrue(e.getMessage().contains("data_batch_2.bin, record 1: label 10 is out of range [0, 9]"), e.getMessage());
    }

    @Test
    void cifar100CoarseLabelIsCheckedEvenWhenFineLabelsAreUsed() {
        Path folder = dir.resolve("c100");
        TestFiles.cifar(folder.resolve("train.bin"), 0, new int[] {1, 2, 20}, new int[] {1, 2, 3});
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> CifarReader.cifar100(folder, Split.TRAIN, Cifar100Labels.FINE));
        assertTrue(e.getMessage().contains("record 2: coarse label 20 is out of range [0, 19]"), e.getMessage());
    }

    @Test
    void missingFileGivesDownloadHint() throws IOException {
        writeCifar10(dir);
        Files.delete(dir.resolve("data_batch_4.bin"));
        DataNotFoundException e = assertThrows(DataNotFoundException.class, () -> CifarReader.cifar10(dir, Split.TRAIN));
        assertTrue(e.getMessage().contains("data_batch_4.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
    }

    @Test
    void missingFolderOrNoPathGivesDownloadHint() {
        DataNotFoundException none = assertThrows(DataNotFoundException.class, () -> Datasets.cifar10(Optional.empty()));
        assertTrue(none.getMessage().contains("https://www.cs.toronto.edu/~kriz/cifar.html"), none.getMessage());
        DataNotFoundException absent = assertThrows(DataNotFoundException.class,
                () -> Datasets.cifar100(Optional.of(dir.resolve("nowhere")), Cifar100Labels.FINE));
        assertTrue(absent.getMessage().contains("nowhere") && absent.getMessage().contains("cifar-100-binary.tar.gz"),
                absent.getMessage());
    }
}
