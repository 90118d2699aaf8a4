package org.deq4j.zoo.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Reads image classification data in the IDX format of MNIST and Fashion-MNIST: a file of images
 * (big-endian header: magic {@code 0x00000803}, count, rows, columns; then count × rows × columns
 * unsigned bytes, row-major) and a file of labels (magic {@code 0x00000801}, count; then one byte
 * per label). Files may be raw or gzip-compressed; the format is detected from the first bytes,
 * not the file name.
 *
 * <p>Failures: {@link DataNotFoundException} for a missing file; {@link DataFormatException} for a
 * wrong magic number, a truncated header or record (naming the record that is cut), data after
 * the declared records, a label outside {@code [0, classNames.size())} (naming record and value), or
 * image and label files that disagree in count.
 */
public final class IdxReader {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {
    }

    /**
     * Reads a labelled data set of grey images.
     *
     * @param images     the IDX images file (raw or gzip)
     * @param labels     the IDX labels file (raw or gzip)
     * @param name       description used in logs, e.g. {@code "Fashion-MNIST train"}
     * @param classNames one name per class; labels must lie in {@code [0, classNames.size())}
     */
    public static ImageDataset read(Path images, Path labels, String name, List<String> classNames) {
        return read(NamedStream.of(images), NamedStream.of(labels), name, classNames);
    }

    static ImageDataset read(NamedStream images, NamedStream labels, String name, List<String> classNames) {
        Images img = readImages(images);
        int[] lab = readLabels(labels, classNames.size());
        if (img.count() != lab.length) {
            throw new DataFormatException(images.name(), "holds " + img.count() + " images but "
                    + labels.name() + " holds " + lab.length + " labels; the two files must describe the same records");
        }
        return new ImageDataset(name, img.shape(), img.pixels(), lab, classNames);
    }

    private record Images(ImageShape shape, int count, byte[] pixels) {
    }

    private static Images readImages(NamedStream source) {
        try (RecordInput in = RecordInput.open(source)) {
            checkMagic(in, in.readHeaderInt("magic number"), IMAGES_MAGIC, "images");
            int count = in.readHeaderInt("image count");
            int rows = in.readHeaderInt("row count");
            int cols = in.readHeaderInt("column count");
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new DataFormatException(in.name(), "header declares " + count + " images of " + rows + "x" + cols
                        + " pixels; counts must be non-negative and sizes positive");
            }
            long total = (long) count * rows * cols;
            if (total > Integer.MAX_VALUE - 8) {
                throw new DataFormatException(in.name(), "header declares " + count + " images of " + rows + "x" + cols
                        + " pixels, more than one array can hold");
            }
            int size = rows * cols;
            byte[] pixels = new byte[(int) total];
            for (int r = 0; r < count; r++) {
                in.readRecord(pixels, r * size, size, r);
            }
            in.expectEnd(count);
            return new Images(new ImageShape(1, rows, cols), count, pixels);
        }
    }

    private static int[] readLabels(NamedStream source, int numClasses) {
        try (RecordInput in = RecordInput.open(source)) {
            checkMagic(in, in.readHeaderInt("magic number"), LABELS_MAGIC, "labels");
            int count = in.readHeaderInt("label count");
            if (count < 0) {
                throw new DataFormatException(in.name(), "header declares a negative label count " + count);
            }
            byte[] raw = new byte[count];
            for (int r = 0; r < count; r++) {
                in.readRecord(raw, r, 1, r);
            }
            in.expectEnd(count);
            int[] labels = new int[count];
            for (int r = 0; r < count; r++) {
                labels[r] = raw[r] & 0xFF;
                if (labels[r] >= numClasses) {
                    throw new DataFormatException(in.name(), r, "label " + labels[r] + " is out of range [0, " + (numClasses - 1) + "]");
                }
            }
            return labels;
        }
    }

    private static void checkMagic(RecordInput in, int magic, int expected, String kind) {
        if (magic == expected) {
            return;
        }
        String guess;
        if (magic == IMAGES_MAGIC) {
            guess = "; this is an IDX images file, was it swapped with the labels file?";
        } else if (magic == LABELS_MAGIC) {
            guess = "; this is an IDX labels file, was it swapped with the images file?";
        } else {
            guess = "; this is not an IDX unsigned-byte file";
        }
        throw new DataFormatException(in.name(), String.format("wrong magic number 0x%08x, expected 0x%08x for IDX %s%s",
                magic, expected, kind, guess));
    }
}
