package org.deq4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddedFashionMnistTest {
    private static DataSplits embedded;

    @BeforeAll
    static void load() {
        embedded = Datasets.fashionMnistEmbedded();
    }

    private static int[] indices(String prefix) throws IOException {
        try (InputStream in = EmbeddedFashionMnistTest.class.getClassLoader()
                .getResourceAsStream(Datasets.EMBEDDED_FASHION_MNIST + prefix + "-indices.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().mapToInt(Integer::parseInt).toArray();
        }
    }

    @Test
    void extractHasTheDocumentedBalancedCounts() {
        assertEquals(DataOrigin.EMBEDDED, embedded.origin());
        assertEquals(10000, embedded.train().size());
        assertEquals(2000, embedded.test().size());
        assertEquals(new ImageShape(1, 28, 28), embedded.train().shape());
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        int[] twoHundred = new int[10];
        Arrays.fill(twoHundred, 200);
        assertArrayEquals(thousand, embedded.train().classCounts());
        assertArrayEquals(twoHundred, embedded.test().classCounts());
        assertEquals("Ankle boot", embedded.train().classNames().get(9));
    }

    @Test
    void extractStatisticsAreCloseToTheFullTrainingSet() {
        Normalize n = Normalize.computeFrom(embedded.train());
        // A balanced 1/6 subset: statistics within 0.002 of the full-set constants (measured: 0.0006, 0.0010).
        assertEquals(Normalize.FASHION_MNIST.mean()[0], n.mean()[0], 0.002);
        assertEquals(Normalize.FASHION_MNIST.std()[0], n.std()[0], 0.002);
    }

    @Test
    void extractIsTheDocumentedSelectionOfTheOfficialFiles() throws IOException {
        assumeTrue(Files.isDirectory(Datasets.DEBIAN_FASHION_MNIST), "Debian dataset-fashion-mnist not installed");
        DataSplits full = Datasets.fashionMnist(Optional.empty());
        assertEquals(DataOrigin.DEBIAN, full.origin());
        assertEquals(60000, full.train().size());
        assertEquals(10000, full.test().size());
        check(full.train(), embedded.train(), indices("train"), 1000);
        check(full.test(), embedded.test(), indices("t10k"), 200);
        Normalize stats = Normalize.computeFrom(full.train());
        assertEquals(stats.mean()[0], Normalize.FASHION_MNIST.mean()[0], 1e-6);
        assertEquals(stats.std()[0], Normalize.FASHION_MNIST.std()[0], 1e-6);
    }

    /** Indices are the first {@code perClass} of each class in file order, and the extract holds exactly those images. */
    private static void check(ImageDataset official, ImageDataset extract, int[] idx, int perClass) {
        int[] taken = new int[10];
        int k = 0;
        for (int i = 0; i < official.size() && k < idx.length; i++) {
            int label = official.label(i);
            if (taken[label] < perClass) {
                taken[label]++;
                assertEquals(i, idx[k], "index " + k);
                k++;
            }
        }
        assertEquals(idx.length, k);
        for (int j = 0; j < idx.length; j++) {
            assertEquals(official.label(idx[j]), extract.label(j));
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    if (official.pixel(idx[j], 0, y, x) != extract.pixel(j, 0, y, x)) {
                        throw new AssertionError("image " + j + " differs from official image " + idx[j]);
                    }
                }
            }
        }
    }
}
