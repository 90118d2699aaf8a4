package org.deq4j.zoo.data;

import org.deq4j.core.InvalidConfigException;

/**
 * The shape of one image: channels, height, width, stored channel-planar (CHW, row-major within a
 * plane), which is the per-example layout of an NCHW batch.
 */
public record ImageShape(int channels, int height, int width) {

    /** @throws InvalidConfigException if any dimension is not positive or the image exceeds 2^31 values */
    public ImageShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new InvalidConfigException("image shape must be positive, got " + channels + "x" + height + "x" + width);
        }
        if ((long) channels * height * width > Integer.MAX_VALUE) {
            throw new InvalidConfigException("image shape " + channels + "x" + height + "x" + width + " is too large");
        }
    }

    /** Number of values in one image: channels × height × width. */
    public int size() {
        return channels * height * width;
    }

    /** Number of values in one channel plane: height × width. */
    public int planeSize() {
        return height * width;
    }
}
