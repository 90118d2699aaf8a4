package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class EpochIteratorTest {

    /** Batches whose features are the item indices they hold, as a column. */
    private static DataSet indices(EpochCursor cursor, int count) {
        int[] items = Arrays.copyOfRange(cursor.order(), cursor.offset(), cursor.offset() + count);
        return new DataSet(Nd4j.createFromArray(items).reshape(count, 1), Nd4j.zeros(count, 1));
    }

    private static int[] items(DataSet batch) {
        return batch.getFeatures().toIntVector();
    }

    @Test
    void servesTheCursorsOrderInBatchesAndStartsTheNextEpochOnReset() {
        EpochCursor cursor = EpochCursor.shuffled(7, "items", 3, false, epoch -> 5L + epoch);
        EpochIterator it = EpochIterator.of(cursor, 1, 2, List.of("a", "b"), EpochIteratorTest::indices);
        int[] order = cursor.order(0);
        it.reset(); // untouched epoch: no-op
        assertArrayEquals(Arrays.copyOfRange(order, 0, 3), items(it.next()));
        assertArrayEquals(Arrays.copyOfRange(order, 3, 5), items(it.next(2)));
        assertArrayEquals(Arrays.copyOfRange(order, 5, 7), items(it.next()));
        assertFalse(it.hasNext());
        assertThrows(NoSuchElementException.class, it::next);
        assertEquals(new StreamPosition(0, 7), it.streamPosition());
        it.reset();
        assertEquals(new StreamPosition(1, 0), it.streamPosition());
        assertArrayEquals(Arrays.copyOfRange(cursor.order(1), 0, 3), items(it.next()));

        assertEquals(3, it.batchesPerEpoch());
        assertEquals(OptionalLong.of(7), it.itemsPerEpoch());
        assertEquals(3, it.batch());
        assertEquals(1, it.inputColumns());
        assertEquals(2, it.totalOutcomes());
        assertEquals(List.of("a", "b"), it.getLabels());
        assertTrue(it.resetSupported());
        assertFalse(it.asyncSupported());
    }

    @Test
    void aBatchThatFailsIsServedAgainAndThePreProcessorRunsOnEveryBatch() {
        EpochCursor cursor = EpochCursor.inOrder(5, "items", 2, false);
        boolean[] fail = {true};
        EpochIterator it = EpochIterator.of(cursor, 1, 1, null, (c, n) -> {
            if (fail[0] && c.offset() == 2) {
                throw new IllegalStateException("disk gone");
            }
            return indices(c, n);
        });
        it.setPreProcessor(ds -> ds.getFeatures().addi(100));
        assertArrayEquals(new int[] {100, 101}, items(it.next()));
        assertThrows(IllegalStateException.class, it::next);
        assertEquals(new StreamPosition(0, 2), it.streamPosition());
        fail[0] = false;
        assertArrayEquals(new int[] {102, 103}, items(it.next()));
        assertNull(it.getLabels());

        it.seekStream(new StreamPosition(3, 4));
        assertArrayEquals(new int[] {104}, items(it.next()));
    }
}
