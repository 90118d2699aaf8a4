package org.deq4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.deq4j.zoo.data.Datasets;
import org.deq4j.zoo.data.ImageDataset;

/**
 * CIFAR-10 binary files ({@code data_batch_1.bin} .. {@code data_batch_5.bin}, {@code test_batch.bin}: one
 * label byte then 32x32 red, green and blue planes per record) made from real images: the embedded
 * Fashion-MNIST extract, each 28x28 image centred on a 32x32 black canvas and copied into the three
 * colour planes. The real CIFAR-10 is not available offline here; this exercises the same reader, sizes
 * and presets with data a model can learn.
 */
final class CifarFixture {
    private static final int SIDE = 32;

    private CifarFixture() {
    }

    /**
     * Writes the six files into {@code dir}: the extract's training images spread over the five training
     * files, the first {@code testImages} of its test images into the test file.
     */
    static Path write(Path dir, int testImages) throws IOException {
        Files.createDirectories(dir);
        var splits = Datasets.fashionMnistEmbedded();
        ImageDataset train = splits.train();
        int perFile = (train.size() + 4) / 5;
        for (int f = 0; f < 5; f++) {
            writeRecords(dir.resolve("data_batch_" + (f + 1) + ".bin"), train, f * perFile,
                    Math.min(train.size(), (f + 1) * perFile));
        }
        writeRecords(dir.resolve("test_batch.bin"), splits.test(), 0, Math.min(testImages, splits.test().size()));
        return dir;
    }

    private static void writeRecords(Path file, ImageDataset images, int from, int to) throws IOException {
        int side = images.shape().height();
        int offset = (SIDE - side) / 2;
        byte[] record = new byte[1 + 3 * SIDE * SIDE];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = from; i < to; i++) {
                java.util.Arrays.fill(record, (byte) 0);
                record[0] = (byte) images.label(i);
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < side; y++) {
                        for (int x = 0; x < side; x++) {
                            record[1 + c * SIDE * SIDE + (y + offset) * SIDE + x + offset] = (byte) images.pixel(i, 0, y, x);
                        }
                    }
                }
                out.write(record);
            }
        }
    }
}
