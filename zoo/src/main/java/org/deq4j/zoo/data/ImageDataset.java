package org.deq4j.zoo.data;

import java.util.List;
import org.deq4j.core.InvalidConfigException;

/**
 * A labelled image data set held in memory as unsigned bytes (one byte per pixel value, so
 * CIFAR-10's 50000 training images take 150 MB). Images are stored channel-planar (CHW), the
 * per-example layout of NCHW batches; labels are class indices in {@code [0, numClasses)}.
 *
 * <p>Instances are immutable and safe to share between threads and iterators; turn one into
 * mini-batches with {@link ImageDataSetIterator#builder(ImageDataset)}.
 */
public final class ImageDataset {
    /** Byte value to [0, 1] float, so batch assembly is a table look-up per pixel. */
    private static final float[] UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            UNIT[v] = v / 255f;
        }
    }

    private final String name;
    private final ImageShape shape;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * Wraps pixel and label arrays without copying them; the caller must not modify them afterwards.
     *
     * @param name       a human-readable description, e.g. {@code "CIFAR-10 train"}
     * @param shape      the shape of every image
     * @param pixels     {@code labels.length × shape.size()} unsigned bytes, image after image, CHW
     * @param labels     class index of every image
     * @param classNames one name per class; its size is the number of classes
     * @throws InvalidConfigException if sizes disagree or a label is outside {@code [0, classNames.size())}
     */
    public ImageDataset(String name, ImageShape shape, byte[] pixels, int[] labels, List<String> classNames) {
        if ((long) labels.length * shape.size() != pixels.length) {
            throw new InvalidConfigException(name + ": " + pixels.length + " pixel bytes do not hold "
                    + labels.length + " images of " + shape.size() + " bytes");
        }
        if (classNames.isEmpty()) {
            throw new InvalidConfigException(name + ": at least one class is required");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new InvalidConfigException(name + ": label " + labels[i] + " of image " + i
                        + " is outside [0, " + classNames.size() + ")");
            }
        }
        this.name = name;
        this.shape = shape;
        this.pixels = pixels;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
    }

    /** Human-readable description, used in logs and messages. */
    public String name() {
        return name;
    }

    /** Shape of every image. */
    public ImageShape shape() {
        return shape;
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /** Number of classes (labels lie in {@code [0, numClasses())}). */
    public int numClasses() {
        return classNames.size();
    }

    /** One name per class, indexed by label. */
    public List<String> classNames() {
        return classNames;
    }

    /** Class index of image {@code index}. */
    public int label(int index) {
        return labels[index];
    }

    /** Unsigned value 0..255 of one pixel of image {@code index}. */
    public int pixel(int index, int channel, int y, int x) {
        return pixels[index * shape.size() + channel * shape.planeSize() + y * shape.width() + x] & 0xFF;
    }

    /** Number of images of each class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /** Writes image {@code index}, scaled to [0, 1] (value / 255), CHW, into {@code dst} at {@code offset}. */
    public void copyUnitFloats(int index, float[] dst, int offset) {
        int n = shape.size();
        int src = index * n;
        for (int i = 0; i < n; i++) {
            dst[offset + i] = UNIT[pixels[src + i] & 0xFF];
        }
    }

    @Override
    public String toString() {
        return name + " (" + size() + " images " + shape.channels() + "x" + shape.height() + "x" + shape.width()
                + ", " + numClasses() + " classes)";
    }
}
