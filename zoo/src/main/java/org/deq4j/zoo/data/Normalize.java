package org.deq4j.zoo.data;

import java.util.Arrays;
import org.deq4j.core.InvalidConfigException;

/**
 * Per-channel standardisation of [0, 1]-scaled pixels: {@code (x - mean[c]) / std[c]}. Immutable;
 * use the constants for the standard data sets or {@link #computeFrom(ImageDataset)} for others.
 */
public final class Normalize implements SampleTransform {

    /** CIFAR-10 training-set statistics (the customary values). */
    public static final Normalize CIFAR10 = new Normalize(
            new double[] {0.4914, 0.4822, 0.4465}, new double[] {0.2470, 0.2435, 0.2616});

    /** CIFAR-100 training-set statistics as customarily published (not recomputed here: CIFAR-100 is not available offline). */
    public static final Normalize CIFAR100 = new Normalize(
            new double[] {0.5071, 0.4865, 0.4409}, new double[] {0.2673, 0.2564, 0.2762});

    /**
     * Fashion-MNIST statistics over all 47,040,000 pixels of the official 60,000 training images,
     * computed with {@link #computeFrom(ImageDataset)} (and independently with NumPy) on the
     * Debian {@code dataset-fashion-mnist} copy: mean 0.2860406, population std 0.3530242.
     */
    public static final Normalize FASHION_MNIST = new Normalize(new double[] {0.2860406}, new double[] {0.3530242});

    private final float[] mean;
    private final float[] invStd;
    private final double[] meanD;
    private final double[] stdD;

    /**
     * @param mean per-channel mean of [0, 1]-scaled pixels
     * @param std  per-channel standard deviation, each positive
     * @throws InvalidConfigException if the lengths differ, are zero, or a std is not positive
     */
    public Normalize(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new InvalidConfigException("normalisation needs one mean and one std per channel, got "
                    + mean.length + " means and " + std.length + " stds");
        }
        this.meanD = mean.clone();
        this.stdD = std.clone();
        this.mean = new float[mean.length];
        this.invStd = new float[std.length];
        for (int c = 0; c < mean.length; c++) {
            if (!(std[c] > 0) || !Double.isFinite(std[c]) || !Double.isFinite(mean[c])) {
                throw new InvalidConfigException("normalisation of channel " + c + " needs a finite mean and a positive std, got mean "
                        + mean[c] + ", std " + std[c]);
            }
            this.mean[c] = (float) mean[c];
            this.invStd[c] = (float) (1.0 / std[c]);
        }
    }

    /** Per-channel mean and population standard deviation of the [0, 1]-scaled pixels of {@code data}. */
    public static Normalize computeFrom(ImageDataset data) {
        ImageShape shape = data.shape();
        int c = shape.channels();
        long[] sum = new long[c];
        long[] sumSq = new long[c];
        // Integer sums of byte values are exact; scale once at the end.
        for (int i = 0; i < data.size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < shape.height(); y++) {
                    for (int x = 0; x < shape.width(); x++) {
                        int v = data.pixel(i, ch, y, x);
                        sum[ch] += v;
                        sumSq[ch] += (long) v * v;
                    }
                }
            }
        }
        double n = (double) data.size() * shape.planeSize();
        double[] m = new double[c];
        double[] s = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double mean255 = sum[ch] / n;
            m[ch] = mean255 / 255.0;
            s[ch] = Math.sqrt(Math.max(0, sumSq[ch] / n - mean255 * mean255)) / 255.0;
        }
        return new Normalize(m, s);
    }

    /** Per-channel means. */
    public double[] mean() {
        return meanD.clone();
    }

    /** Per-channel standard deviations. */
    public double[] std() {
        return stdD.clone();
    }

    @Override
    public void apply(float[] sample, int offset, ImageShape shape, long seed) {
        if (shape.channels() != mean.length) {
            throw new InvalidConfigException("normalisation has " + mean.length + " channels but images have " + shape.channels());
        }
        int plane = shape.planeSize();
        for (int c = 0; c < mean.length; c++) {
            float m = mean[c];
            float k = invStd[c];
            for (int i = offset + c * plane, end = i + plane; i < end; i++) {
                sample[i] = (sample[i] - m) * k;
            }
        }
    }

    @Override
    public String toString() {
        return "Normalize(mean=" + Arrays.toString(meanD) + ", std=" + Arrays.toString(stdD) + ")";
    }
}
