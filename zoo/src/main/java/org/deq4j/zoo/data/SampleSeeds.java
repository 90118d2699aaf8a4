package org.deq4j.zoo.data;

/**
 * Derives every random choice of the data pipeline from one user seed, so that the order of an
 * epoch and the augmentation of each sample are pure functions of (seed, epoch, sample index):
 * training resumed at any position sees exactly the data it would have seen.
 */
final class SampleSeeds {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private SampleSeeds() {
    }

    /** SplitMix64's finaliser: a bijective, well-mixed hash of 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Seed of epoch {@code epoch}: of its visiting order, and the base of its samples' seeds. */
    static long epochSeed(long seed, int epoch) {
        return mix(mix(seed) + GOLDEN * (epoch + 1L));
    }

    /** Seed of the random transform of dataset image {@code index} in {@code epoch}. */
    static long sampleSeed(long seed, int epoch, int index) {
        return mix(epochSeed(seed, epoch) ^ mix(GOLDEN * (index + 1L)));
    }
}
