package org.deq4j.zoo.data;

import java.util.Arrays;
import org.deq4j.core.InvalidConfigException;

/**
 * The standard CIFAR augmentation: pad the image with {@code padding} zero pixels on every side,
 * crop a window of the original size at a uniformly random offset, then mirror it left-right with
 * probability 1/2 (if {@code flip}). Padding happens on [0, 1]-scaled pixels, so padded pixels are
 * black; put {@link Normalize} after this transform.
 *
 * <p>The crop is a translation with zero fill done in place, so the transform allocates nothing.
 * Equivalent formulation: output(y, x) = input(y + dy, x + dx), or 0 outside the image, with
 * dy, dx uniform in {@code [-padding, padding]}; flipping then maps x to width - 1 - x.
 *
 * @param padding zero border in pixels (4 for CIFAR); 0 disables cropping
 * @param flip    whether to mirror horizontally with probability 1/2
 */
public record RandomCropFlip(int padding, boolean flip) implements SampleTransform {

    /** The CIFAR recipe: 4-pixel padding and random horizontal flips. */
    public static final RandomCropFlip CIFAR = new RandomCropFlip(4, true);

    /** @throws InvalidConfigException if padding is negative */
    public RandomCropFlip {
        if (padding < 0) {
            throw new InvalidConfigException("crop padding must be >= 0, got " + padding);
        }
    }

    /**
     * The random choices for one sample: the crop shift ({@code dy}, {@code dx}), each in
     * {@code [-padding, padding]}, and whether the crop is mirrored.
     */
    public record Placement(int dy, int dx, boolean flipped) {
    }

    /** The placement drawn from a sample seed. */
    public Placement placement(long seed) {
        long bits = SampleSeeds.mix(seed);
        int span = 2 * padding + 1;
        int dy = (int) Long.remainderUnsigned(bits & 0xFFFFFFFFL, span) - padding;
        int dx = (int) Long.remainderUnsigned((bits >>> 32) & 0x7FFFFFFFL, span) - padding;
        return new Placement(dy, dx, flip && (bits >>> 63) != 0);
    }

    @Override
    public void apply(float[] sample, int offset, ImageShape shape, long seed) {
        apply(sample, offset, shape, placement(seed));
    }

    /** Applies a given placement in place. */
    public static void apply(float[] sample, int offset, ImageShape shape, Placement p) {
        int h = shape.height();
        int w = shape.width();
        for (int c = 0; c < shape.channels(); c++) {
            int plane = offset + c * shape.planeSize();
            if (p.dy() != 0 || p.dx() != 0) {
                translate(sample, plane, h, w, p.dy(), p.dx());
            }
            if (p.flipped()) {
                mirror(sample, plane, h, w);
            }
        }
    }

    /** plane(y, x) = plane(y + dy, x + dx), zero outside; rows visited so sources are read before being overwritten. */
    private static void translate(float[] a, int plane, int h, int w, int dy, int dx) {
        int x0 = Math.max(0, -dx);
        int x1 = Math.min(w, w - dx);
        for (int i = 0; i < h; i++) {
            int y = dy > 0 ? i : h - 1 - i;
            int row = plane + y * w;
            int sy = y + dy;
            if (sy < 0 || sy >= h || x0 >= x1) {
                Arrays.fill(a, row, row + w, 0f);
                continue;
            }
            // arraycopy is overlap-safe, which covers the dy == 0 case.
            System.arraycopy(a, plane + sy * w + x0 + dx, a, row + x0, x1 - x0);
            Arrays.fill(a, row, row + x0, 0f);
            Arrays.fill(a, row + x1, row + w, 0f);
        }
    }

    private static void mirror(float[] a, int plane, int h, int w) {
        for (int y = 0; y < h; y++) {
            for (int l = plane + y * w, r = l + w - 1; l < r; l++, r--) {
                float t = a[l];
                a[l] = a[r];
                a[r] = t;
            }
        }
    }
}
