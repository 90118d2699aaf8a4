package org.deq4j.zoo.data;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The training and test parts of a data set and where they were loaded from. The training part is read
 * when first asked for, so evaluating a model needs only the test files.
 */
public final class DataSplits {
    private final Supplier<ImageDataset> trainReader;
    private final ImageDataset test;
    private final DataOrigin origin;
    private final String location;
    private ImageDataset train;

    /**
     * @param train    reads the training images (once, on first use); its failures are the readers'
     *                 ({@link DataNotFoundException}, {@link DataFormatException})
     * @param test     test images
     * @param origin   which kind of source was used
     * @param location the folder or classpath location the files came from
     */
    public DataSplits(Supplier<ImageDataset> train, ImageDataset test, DataOrigin origin, String location) {
        this.trainReader = Objects.requireNonNull(train, "train");
        this.test = Objects.requireNonNull(test, "test");
        this.origin = Objects.requireNonNull(origin, "origin");
        this.location = Objects.requireNonNull(location, "location");
    }

    /** Training images, read on the first call. */
    public synchronized ImageDataset train() {
        if (train == null) {
            train = trainReader.get();
        }
        return train;
    }

    /** Test images. */
    public ImageDataset test() {
        return test;
    }

    /** Which kind of source was used. */
    public DataOrigin origin() {
        return origin;
    }

    /** The folder or classpath location the files came from. */
    public String location() {
        return location;
    }
}
