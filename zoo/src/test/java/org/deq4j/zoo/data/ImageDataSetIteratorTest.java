package org.deq4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.deq4j.train.StreamPosition;
import org.deq4j.zoo.data.ImageDataSetIterator.Position;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class ImageDataSetIteratorTest {
    private static final ImageDataset DATA = TestFiles.indexed(23, 4);

    /** Image indices of a batch, decoded from the pixel values (each pixel of image i is i/255). */
    private static int[] indices(DataSet batch) {
        int n = (int) batch.getFeatures().size(0);
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = Math.round(batch.getFeatures().getFloat(i, 0, 1, 1) * 255f);
        }
        return idx;
    }

    private static int[] epochOrder(ImageDataSetIterator it) {
        List<Integer> seen = new ArrayList<>();
        while (it.hasNext()) {
            for (int i : indices(it.next())) {
                seen.add(i);
            }
        }
        return seen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static ImageDataSetIterator.Builder base() {
        return ImageDataSetIterator.builder(DATA).batchSize(5).seed(11);
    }

    @Test
    void batchesHaveConfiguredSizeShapeAndOneHotLabels() {
        try (ImageDataSetIterator it = base().shuffle(false).build()) {
            List<Long> sizes = new ArrayList<>();
            int start = 0;
            while (it.hasNext()) {
                DataSet b = it.next();
                long n = b.getFeatures().size(0);
                sizes.add(n);
                assertArrayEquals(new long[] {n, 1, 2, 2}, b.getFeatures().shape());
                assertArrayEquals(new long[] {n, 4}, b.getLabels().shape());
                for (int i = 0; i < n; i++) {
                    assertEquals(start + i, indices(b)[i]);
                    assertEquals(1.0, b.getLabels().getRow(i).sumNumber().doubleValue());
                    assertEquals(1f, b.getLabels().getFloat(i, (start + i) % 4));
                }
                start += (int) n;
            }
            assertEquals(List.of(5L, 5L, 5L, 5L, 3L), sizes);
            assertEquals(5, it.batchesPerEpoch());
            assertEquals(4, it.inputColumns());
            assertEquals(4, it.totalOutcomes());
            assertEquals(DATA.classNames(), it.getLabels());
            assertThrows(NoSuchElementException.class, it::next);
        }
        try (ImageDataSetIterator it = base().dropLast(true).build()) {
            assertEquals(20, epochOrder(it).length);
            assertEquals(4, it.batchesPerEpoch());
        }
    }

    @Test
    void sameSeedSameOrderAndEachEpochIsAPermutation() {
        try (ImageDataSetIterator a = base().build(); ImageDataSetIterator b = base().prefetch(0).build();
             ImageDataSetIterator other = base().seed(12).build()) {
            int[] a0 = epochOrder(a);
            int[] b0 = epochOrder(b);
            assertArrayEquals(a0, b0);
            int[] sorted = a0.clone();
            Arrays.sort(sorted);
            assertArrayEquals(java.util.stream.IntStream.range(0, 23).toArray(), sorted);
            assertFalse(Arrays.equals(sorted, a0), "epoch 0 should be shuffled");

            a.reset();
            b.reset();
            int[] a1 = epochOrder(a);
            assertEquals(1, a.position().epoch());
            assertFalse(Arrays.equals(a0, a1), "a new epoch must visit images in a new order");
            assertArrayEquals(a1, epochOrder(b));
            assertFalse(Arrays.equals(a0, epochOrder(other)), "a different seed must give a different order");
        }
    }

    @Test
    void resetOnAnUntouchedEpochIsANoOp() {
        try (ImageDataSetIterator it = base().build()) {
            it.reset();
            it.reset();
            assertEquals(new Position(0, 0), it.position());
            it.next();
            assertEquals(new Position(0, 5), it.position());
            it.reset();
            assertEquals(new Position(1, 0), it.position());
        }
    }

    @Test
    void trainerPositionMatchesOwnPosition() {
        try (ImageDataSetIterator a = base().build(); ImageDataSetIterator b = base().build()) {
            a.reset();
            a.next();
            a.next();
            StreamPosition p = a.streamPosition();
            assertEquals(new StreamPosition(a.position().epoch(), a.position().sample()), p);
            assertEquals(java.util.OptionalLong.of(23), a.itemsPerEpoch());
            b.seekStream(p);
            assertEquals(a.position(), b.position());
            assertArrayEquals(epochOrder(a), epochOrder(b));
            assertThrows(org.deq4j.core.InvalidConfigException.class, () -> b.seekStream(new StreamPosition(0, 24)));
        }
    }

    @Test
    void seekResumesTheExactStreamIncludingAugmentation() {
        SampleTransform noisy = (s, off, shape, seed) -> s[off] += (seed & 0xFF) / 1000f;
        List<DataSet> expected = new ArrayList<>();
        try (ImageDataSetIterator a = base().transform(noisy).build()) {
            epochOrder(a);
            a.reset();
            a.next();
            a.next();
            assertEquals(new Position(1, 10), a.position());
            while (a.hasNext()) {
                expected.add(a.next());
            }
        }
        try (ImageDataSetIterator b = base().transform(noisy).prefetch(1).build()) {
            b.seek(new Position(1, 10));
            for (DataSet e : expected) {
                DataSet got = b.next();
                assertEquals(e.getFeatures(), got.getFeatures());
                assertEquals(e.getLabels(), got.getLabels());
            }
            assertFalse(b.hasNext());
        }
        try (ImageDataSetIterator c = base().build()) {
            assertThrows(org.deq4j.core.InvalidConfigException.class, () -> c.seek(new Position(0, 24)));
        }
    }

    @Test
    void nextWithExplicitSizeContinuesFromTheCursor() {
        try (ImageDataSetIterator reference = base().batchSize(1).build(); ImageDataSetIterator it = base().build()) {
            int[] order = epochOrder(reference);
            int[] first = indices(it.next(3));
            int[] second = indices(it.next());
            assertArrayEquals(Arrays.copyOfRange(order, 0, 3), first);
            assertArrayEquals(Arrays.copyOfRange(order, 3, 8), second);
            assertEquals(new Position(0, 8), it.position());
        }
    }

    /** Thrown by a transform on purpose. */
    static final class Boom extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Boom(String m) {
            super(m);
        }
    }

    @Test
    void prefetchFailuresSurfaceWithTheirTypeAndTheIteratorRecovers() {
        int[] order;
        try (ImageDataSetIterator ref = base().build()) {
            order = epochOrder(ref);
        }
        int bad = order[12]; // in the third batch
        boolean[] armed = {true};
        SampleTransform failing = (s, off, shape, seed) -> {
            if (armed[0] && Math.round(s[off] * 255f) == bad) {
                throw new Boom("image " + bad);
            }
        };
        ImageDataSetIterator it = base().transform(failing).prefetch(2).build();
        try {
            it.next();
            it.next();
            Boom e = assertThrows(Boom.class, it::next);
            assertEquals("image " + bad, e.getMessage());
            assertEquals(new Position(0, 10), it.position(), "a failed batch must not advance the cursor");
            assertThrows(Boom.class, it::next);
            armed[0] = false;
            assertArrayEquals(Arrays.copyOfRange(order, 10, 15), indices(it.next()));
            it.close();
            assertArrayEquals(Arrays.copyOfRange(order, 15, 20), indices(it.next()), "works synchronously after close");
        } finally {
            it.close();
        }
    }

    @Test
    void preProcessorRunsOnEveryBatch() {
        try (ImageDataSetIterator it = base().shuffle(false).build()) {
            it.setPreProcessor(ds -> ds.getFeatures().addi(1000));
            DataSet b = it.next();
            assertEquals(1000f, b.getFeatures().getFloat(0, 0, 0, 0));
            assertNotEquals(null, it.getPreProcessor());
            assertSame(DATA, it.dataset());
        }
    }

    @Test
    void kotlinStyleFactoryAppliesTheConfiguration() {
        try (ImageDataSetIterator it = ImageDataSetIterator.create(DATA, b -> b.batchSize(7).shuffle(false))) {
            assertEquals(7, it.batch());
            assertTrue(it.resetSupported());
            assertFalse(it.asyncSupported());
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, indices(it.next()));
        }
    }
}
