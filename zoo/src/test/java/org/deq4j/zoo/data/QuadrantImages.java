package org.deq4j.zoo.data;

import java.util.List;
import java.util.SplittableRandom;

/** A learnable synthetic image set for training tests, shared by the model and trainer tests. */
public final class QuadrantImages {
    private QuadrantImages() {
    }

    /** {@code n} 1x8x8 images of 4 classes: class c has a bright quadrant c over seeded noise. */
    public static ImageDataset of(int n) {
        ImageShape shape = new ImageShape(1, 8, 8);
        byte[] px = new byte[n * shape.size()];
        int[] labels = new int[n];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n; i++) {
            labels[i] = i % 4;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean bright = (y / 4) * 2 + x / 4 == labels[i];
                    px[i * 64 + y * 8 + x] = (byte) ((bright ? 140 : 0) + r.nextInt(110));
                }
            }
        }
        return new ImageDataset("quadrants", shape, px, labels, List.of("a", "b", "c", "d"));
    }
}
