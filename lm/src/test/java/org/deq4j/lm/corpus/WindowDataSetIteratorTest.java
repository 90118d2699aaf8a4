package org.deq4j.lm.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.IntStream;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.train.StreamPosition;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class WindowDataSetIteratorTest {

    private static final int CONTEXT = 4;
    // 42 tokens -> (42 - 1) / 4 = 10 windows; token value = its position, so a window is identified by its first id.
    private final TokenWindows windows = new TokenWindows(IntStream.range(0, 42).toArray(), CONTEXT, "test");

    private WindowDataSetIterator.Builder builder() {
        return WindowDataSetIterator.builder(windows, 50).batchSize(3).seed(1234);
    }

    /** First token of each window in the batch: identifies the window. */
    private static List<Integer> windowIds(DataSet batch) {
        INDArray f = batch.getFeatures();
        List<Integer> ids = new ArrayList<>();
        for (int r = 0; r < f.rows(); r++) {
            ids.add(f.getInt(r, 0) / CONTEXT);
        }
        return ids;
    }

    private static List<Integer> epoch(WindowDataSetIterator it) {
        List<Integer> ids = new ArrayList<>();
        while (it.hasNext()) {
            ids.addAll(windowIds(it.next()));
        }
        return ids;
    }

    @Test
    void batchLayoutIsIdsWithLabelsShiftedByOne() {
        WindowDataSetIterator it = builder().build();
        DataSet batch = it.next();
        INDArray f = batch.getFeatures();
        INDArray l = batch.getLabels();
        assertArrayEquals(new long[] {3, CONTEXT}, f.shape());
        assertArrayEquals(new long[] {3, CONTEXT}, l.shape());
        assertEquals(DataType.INT32, f.dataType());
        assertEquals(DataType.INT32, l.dataType());
        for (int r = 0; r < 3; r++) {
            int w = f.getInt(r, 0) / CONTEXT;
            assertArrayEquals(windows.input(w), f.getRow(r).toIntVector());
            assertArrayEquals(windows.target(w), l.getRow(r).toIntVector());
        }
        assertEquals(CONTEXT, it.inputColumns());
        assertEquals(50, it.totalOutcomes());
        assertFalse(it.asyncSupported());
        DataSet floats = builder().dataType(DataType.FLOAT).build().next();
        assertEquals(DataType.FLOAT, floats.getFeatures().dataType());
        assertEquals(f.castTo(DataType.FLOAT), floats.getFeatures());
    }

    @Test
    void eachEpochIsAPermutationDeterminedBySeedAndEpoch() {
        WindowDataSetIterator it = builder().build();
        assertEquals(4, it.batchesPerEpoch());
        List<Integer> epoch0 = epoch(it);
        it.reset();
        List<Integer> epoch1 = epoch(it);
        List<Integer> sorted = IntStream.range(0, 10).boxed().toList();
        assertEquals(sorted, epoch0.stream().sorted().toList());
        assertEquals(sorted, epoch1.stream().sorted().toList());
        assertNotEquals(epoch0, epoch1, "epochs are shuffled differently");
        assertNotEquals(sorted, epoch0, "epoch 0 is shuffled");

        WindowDataSetIterator again = builder().build();
        assertEquals(epoch0, epoch(again));
        again.reset();
        assertEquals(epoch1, epoch(again));
        assertNotEquals(epoch0, epoch(builder().seed(99).build()), "another seed, another order");
        assertEquals(Arrays.stream(it.epochOrder(1)).boxed().toList(), epoch1);
    }

    @Test
    void unshuffledOrderIsStreamOrderAndLastBatchIsPartial() {
        WindowDataSetIterator it = builder().shuffle(false).build();
        List<Integer> sizes = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        while (it.hasNext()) {
            DataSet b = it.next();
            sizes.add(b.numExamples());
            ids.addAll(windowIds(b));
        }
        assertEquals(List.of(3, 3, 3, 1), sizes);
        assertEquals(IntStream.range(0, 10).boxed().toList(), ids);
        assertThrows(NoSuchElementException.class, it::next);

        WindowDataSetIterator dropping = builder().shuffle(false).dropLast(true).build();
        assertEquals(3, dropping.batchesPerEpoch());
        assertEquals(9, epoch(dropping).size());
        assertThrows(InvalidConfigException.class, () -> builder().batchSize(11).dropLast(true).build());
    }

    @Test
    void seekResumesWithTheSameBatches() {
        WindowDataSetIterator original = builder().build();
        epoch(original);
        original.reset();
        original.next();
        original.next();
        WindowPosition saved = original.position();
        assertEquals(new WindowPosition(1, 6), saved);
        List<Integer> rest = epoch(original);
        original.reset();
        List<Integer> nextEpoch = epoch(original);

        WindowDataSetIterator resumed = builder().build();
        resumed.seek(saved);
        assertEquals(rest, epoch(resumed));
        resumed.reset();
        assertEquals(nextEpoch, epoch(resumed));
        assertThrows(InvalidConfigException.class, () -> resumed.seek(new WindowPosition(0, 11)));
    }

    @Test
    void trainerPositionMatchesOwnPosition() {
        WindowDataSetIterator original = builder().build();
        epoch(original);
        original.reset();
        original.next();
        StreamPosition saved = original.streamPosition();
        assertEquals(new StreamPosition(1, 3), saved);
        assertEquals(java.util.OptionalLong.of(10), original.itemsPerEpoch());
        WindowDataSetIterator resumed = builder().build();
        resumed.seekStream(saved);
        assertEquals(original.position(), resumed.position());
        assertEquals(epoch(original), epoch(resumed));
        assertThrows(InvalidConfigException.class, () -> resumed.seekStream(new StreamPosition(0, 11)));
    }

    @Test
    void resetBeforeAnyBatchDoesNotSkipAnEpoch() {
        WindowDataSetIterator it = builder().build();
        it.reset();
        assertEquals(WindowPosition.START, it.position());
        it.next();
        it.reset();
        assertEquals(new WindowPosition(1, 0), it.position());
    }

    @Test
    void nextWithCountServesThatManyWindows() {
        WindowDataSetIterator it = builder().shuffle(false).build();
        assertEquals(List.of(0, 1, 2, 3, 4), windowIds(it.next(5)));
        assertEquals(List.of(5, 6, 7), windowIds(it.next()));
        assertEquals(List.of(8, 9), windowIds(it.next(7)));
        assertTrue(!it.hasNext());
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(InvalidConfigException.class, () -> builder().batchSize(0));
        assertThrows(InvalidConfigException.class, () -> WindowDataSetIterator.builder(windows, 0));
        assertThrows(InvalidConfigException.class, () -> new WindowPosition(-1, 0));
    }
}
