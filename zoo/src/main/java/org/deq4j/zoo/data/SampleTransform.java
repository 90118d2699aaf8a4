package org.deq4j.zoo.data;

/**
 * An in-place transform of one image inside a batch buffer, applied by {@link ImageDataSetIterator}
 * after pixels are scaled to [0, 1] and before the batch becomes an NDArray. Working on the plain
 * float buffer keeps augmentation free of per-sample NDArray allocations.
 *
 * <p>{@code seed} is the sample's own random seed, a pure function of (iterator seed, epoch,
 * dataset index): a random transform must draw all its choices from it, so augmentation is
 * reproducible and resumable. Transforms are called from the prefetch thread and must not keep
 * mutable state.
 */
@FunctionalInterface
public interface SampleTransform {

    /**
     * Transforms the image {@code sample[offset .. offset + shape.size())}, CHW, in place.
     *
     * @param sample the batch buffer
     * @param offset index of the image's first value
     * @param shape  the image's shape
     * @param seed   the sample's random seed
     */
    void apply(float[] sample, int offset, ImageShape shape, long seed);

    /** This transform, then {@code next}; {@code next} gets a seed independent of this one's. */
    default SampleTransform andThen(SampleTransform next) {
        return (sample, offset, shape, seed) -> {
            apply(sample, offset, shape, seed);
            next.apply(sample, offset, shape, SampleSeeds.mix(seed ^ 0x5DEECE66DL));
        };
    }

    /** The transform that leaves images unchanged. */
    static SampleTransform identity() {
        return (sample, offset, shape, seed) -> { };
    }
}
