package org.deq4j.zoo.data;

/**
 * The training and test parts of a data set and where they were loaded from.
 *
 * @param train    training images
 * @param test     test images
 * @param origin   which kind of source was used
 * @param location the folder or classpath location the files came from
 */
public record DataSplits(ImageDataset train, ImageDataset test, DataOrigin origin, String location) {
}
