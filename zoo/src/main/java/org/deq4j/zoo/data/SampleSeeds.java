package org.deq4j.zoo.data;

import java.util.SplittableRandom;

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

    static long epochSeed(long seed, int epoch) {
        return mix(mix(seed) + GOLDEN * (epoch + 1L));
    }

    /** Seed of the random transform of dataset image {@code index} in {@code epoch}. */
    static long sampleSeed(long seed, int epoch, int index) {
        return mix(epochSeed(seed, epoch) ^ mix(GOLDEN * (index + 1L)));
    }

    /** The visiting order of {@code n} images in {@code epoch}: a uniform random permutation (Fisher-Yates). */
    static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(epochSeed(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
