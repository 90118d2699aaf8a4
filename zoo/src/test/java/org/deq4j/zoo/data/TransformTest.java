package org.deq4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.zoo.data.RandomCropFlip.Placement;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class TransformTest {
    private static final ImageShape SHAPE = new ImageShape(3, 6, 5);

    private static float[] distinct(ImageShape s) {
        float[] a = new float[s.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 1;
        }
        return a;
    }

    /** Reference: zero-pad by p, crop the window at (p + dy, p + dx), then mirror; built with an explicit padded copy. */
    private static float[] reference(float[] in, ImageShape s, int p, Placement pl) {
        int h = s.height();
        int w = s.width();
        int ph = h + 2 * p;
        int pw = w + 2 * p;
        float[] out = new float[in.length];
        for (int c = 0; c < s.channels(); c++) {
            float[][] padded = new float[ph][pw];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    padded[y + p][x + p] = in[c * h * w + y * w + x];
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int cx = pl.flipped() ? w - 1 - x : x;
                    out[c * h * w + y * w + x] = padded[y + p + pl.dy()][cx + p + pl.dx()];
                }
            }
        }
        return out;
    }

    @Test
    void cropAndFlipMatchAnExplicitPaddedCrop() {
        RandomCropFlip t = new RandomCropFlip(4, true);
        float[] in = distinct(SHAPE);
        int[][] seen = new int[9][9];
        int flips = 0;
        int n = 8100;
        for (int i = 0; i < n; i++) {
            long seed = SampleSeeds.sampleSeed(11, 0, i);
            Placement pl = t.placement(seed);
            assertTrue(Math.abs(pl.dy()) <= 4 && Math.abs(pl.dx()) <= 4, pl.toString());
            seen[pl.dy() + 4][pl.dx() + 4]++;
            flips += pl.flipped() ? 1 : 0;
            // Embed the image at an offset in a larger buffer to check the transform stays inside its sample.
            float[] buf = new float[SHAPE.size() + 10];
            java.util.Arrays.fill(buf, -7f);
            System.arraycopy(in, 0, buf, 5, in.length);
            t.apply(buf, 5, SHAPE, seed);
            assertArrayEquals(reference(in, SHAPE, 4, pl), java.util.Arrays.copyOfRange(buf, 5, 5 + in.length), pl.toString());
            assertEquals(-7f, buf[4]);
            assertEquals(-7f, buf[5 + in.length]);
        }
        // Pearson chi-square against the uniform distribution over 81 offsets: 80 degrees of freedom,
        // mean 80, sd 12.6; 140 is exceeded with probability below 1e-4.
        double expected = n / 81.0;
        double chi2 = 0;
        for (int[] row : seen) {
            for (int count : row) {
                chi2 += (count - expected) * (count - expected) / expected;
            }
        }
        assertTrue(chi2 < 140, "offset frequencies should be uniform, chi-square " + chi2);
        assertTrue(Math.abs(flips - n / 2) < 0.06 * n, "flip frequency " + flips + " of " + n);
    }

    @Test
    void knownPlacementsMovePixelsAsDocumented() {
        ImageShape s = new ImageShape(1, 3, 4);
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        RandomCropFlip.apply(a, 0, s, new Placement(0, 1, false));
        assertArrayEquals(new float[] {2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0}, a, "dx = 1 shifts content left");
        float[] b = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        RandomCropFlip.apply(b, 0, s, new Placement(-1, 0, true));
        assertArrayEquals(new float[] {0, 0, 0, 0, 4, 3, 2, 1, 8, 7, 6, 5}, b, "dy = -1 shifts content down, then mirror");
        float[] c = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        RandomCropFlip.apply(c, 0, s, new Placement(0, 0, false));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, c);
        assertThrows(InvalidConfigException.class, () -> new RandomCropFlip(-1, true));
        assertEquals(new Placement(0, 0, false), new RandomCropFlip(0, false).placement(123));
    }

    private static ImageDataset randomRgb(int n, long seed) {
        ImageShape s = new ImageShape(3, 4, 4);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * s.size()];
        for (int i = 0; i < px.length; i++) {
            int ch = (i % s.size()) / s.planeSize();
            px[i] = (byte) Math.min(255, r.nextInt(100 + 60 * ch) + 40 * ch);
        }
        return new ImageDataset("rgb", s, px, new int[n], List.of("only"));
    }

    @Test
    void computedStatisticsMatchATwoPassReferenceAndStandardise() {
        ImageDataset data = randomRgb(200, 3);
        Normalize norm = Normalize.computeFrom(data);
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < data.size(); i++) {
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 4; x++) {
                        sum += data.pixel(i, c, y, x) / 255.0;
                        n++;
                    }
                }
            }
            double mean = sum / n;
            double ss = 0;
            for (int i = 0; i < data.size(); i++) {
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 4; x++) {
                        double d = data.pixel(i, c, y, x) / 255.0 - mean;
                        ss += d * d;
                    }
                }
            }
            assertEquals(mean, norm.mean()[c], 1e-12);
            assertEquals(Math.sqrt(ss / n), norm.std()[c], 1e-9);
        }
        try (ImageDataSetIterator it = ImageDataSetIterator.builder(data).batchSize(200).transform(norm).build()) {
            INDArray f = it.next().getFeatures();
            for (int c = 0; c < 3; c++) {
                INDArray plane = f.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(c));
                assertEquals(0.0, plane.meanNumber().doubleValue(), 1e-5);
                assertEquals(1.0, plane.stdNumber().doubleValue(), 1e-2); // stdNumber is the sample std, n = 3200
            }
        }
    }

    @Test
    void normaliseMapsChannelValuesExactly() {
        Normalize n = Normalize.CIFAR10;
        ImageShape s = new ImageShape(3, 1, 2);
        float[] a = {0f, 1f, 0.5f, 0.25f, 0.4465f, 0f};
        n.apply(a, 0, s, 0);
        assertEquals((0 - 0.4914) / 0.2470, a[0], 1e-6);
        assertEquals((1 - 0.4914) / 0.2470, a[1], 1e-6);
        assertEquals((0.5 - 0.4822) / 0.2435, a[2], 1e-6);
        assertEquals((0.25 - 0.4822) / 0.2435, a[3], 1e-6);
        assertEquals(0.0, a[4], 1e-6);
        assertEquals(-0.4465 / 0.2616, a[5], 1e-6);
        assertThrows(InvalidConfigException.class, () -> Normalize.FASHION_MNIST.apply(a, 0, s, 0));
        assertThrows(InvalidConfigException.class, () -> new Normalize(new double[] {0.5}, new double[] {0}));
        assertThrows(InvalidConfigException.class, () -> new Normalize(new double[] {0.5, 0.5}, new double[] {1}));
    }

    @Test
    void cifarPipelineKeepsShapesAndPadsWithNormalisedBlack() {
        ImageDataset data = TestFiles.indexed(1, 1); // placeholder to get a class list
        ImageShape s = new ImageShape(3, 32, 32);
        byte[] px = new byte[8 * s.size()];
        java.util.Arrays.fill(px, (byte) 255);
        ImageDataset white = new ImageDataset("white", s, px, new int[8], data.classNames());
        SampleTransform pipeline = RandomCropFlip.CIFAR.andThen(Normalize.CIFAR10);
        try (ImageDataSetIterator it = ImageDataSetIterator.builder(white).batchSize(8).seed(5).transform(pipeline).build()) {
            DataSet b = it.next();
            assertArrayEquals(new long[] {8, 3, 32, 32}, b.getFeatures().shape());
            double[] mean = Normalize.CIFAR10.mean();
            double[] std = Normalize.CIFAR10.std();
            int padded = 0;
            for (int i = 0; i < 8; i++) {
                for (int c = 0; c < 3; c++) {
                    float white1 = (float) ((1 - mean[c]) / std[c]);
                    float black = (float) (-mean[c] / std[c]);
                    for (int y = 0; y < 32; y++) {
                        for (int x = 0; x < 32; x++) {
                            float v = b.getFeatures().getFloat(i, c, y, x);
                            assertTrue(Math.abs(v - white1) < 1e-5 || Math.abs(v - black) < 1e-5, "value " + v);
                            padded += Math.abs(v - black) < 1e-5 ? 1 : 0;
                        }
                    }
                }
            }
            assertTrue(padded > 0, "some crops should reach into the zero padding");
        }
    }

    @Test
    void chainedTransformsGetIndependentSeeds() {
        long[] seeds = new long[2];
        SampleTransform first = (s, o, sh, seed) -> seeds[0] = seed;
        SampleTransform second = (s, o, sh, seed) -> seeds[1] = seed;
        first.andThen(second).apply(new float[1], 0, new ImageShape(1, 1, 1), 42);
        assertEquals(42, seeds[0]);
        assertNotEquals(42, seeds[1]);
    }
}
