package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.IntStream;
import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;

class EpochCursorTest {

    private static EpochCursor shuffled(int size, int batch, boolean dropLast) {
        return EpochCursor.shuffled(size, "items", batch, dropLast, epoch -> 7L * epoch + 3);
    }

    /** Batch sizes of one epoch, taking batches until the cursor says the epoch is over. */
    private static List<Integer> batchSizes(EpochCursor cursor) {
        List<Integer> sizes = new ArrayList<>();
        while (cursor.hasNext()) {
            int n = cursor.nextCount();
            sizes.add(n);
            cursor.advance(n);
        }
        return sizes;
    }

    @Test
    void eachEpochIsAPermutationDrawnFromItsSeedAlone() {
        EpochCursor a = shuffled(20, 3, false);
        int[] sorted = IntStream.range(0, 20).toArray();
        int[] e0 = a.order(0);
        int[] e1 = a.order(1);
        assertArrayEquals(sorted, Arrays.stream(e0).sorted().toArray());
        assertArrayEquals(sorted, Arrays.stream(e1).sorted().toArray());
        assertFalse(Arrays.equals(e0, e1), "epochs are shuffled differently");
        assertFalse(Arrays.equals(sorted, e0), "epoch 0 is shuffled");
        EpochCursor sameSeeds = EpochCursor.shuffled(20, "other items", 5, true, epoch -> 7L * epoch + 3);
        assertArrayEquals(e1, sameSeeds.order(1), "the order depends on the epoch seed, not on batching");
        assertArrayEquals(sorted, EpochCursor.inOrder(20, "items", 3, false).order(4));
    }

    @Test
    void orderFollowsTheEpochAndIsCachedWithinIt() {
        EpochCursor cursor = shuffled(5, 2, false);
        int[] first = cursor.order();
        assertSame(first, cursor.order());
        assertArrayEquals(cursor.order(0), first);
        batchSizes(cursor);
        cursor.reset();
        assertArrayEquals(cursor.order(1), cursor.order());
        assertArrayEquals(cursor.order(0), first, "an epoch's order array is not reused for the next epoch");
    }

    @Test
    void batchesAtTheEndOfAnEpochFollowDropLast() {
        EpochCursor keep = shuffled(10, 3, false);
        assertEquals(4, keep.batchesPerEpoch());
        assertEquals(List.of(3, 3, 3, 1), batchSizes(keep));
        assertThrows(NoSuchElementException.class, keep::nextCount);
        assertThrows(NoSuchElementException.class, () -> keep.nextCount(1));

        EpochCursor drop = shuffled(10, 3, true);
        assertEquals(3, drop.batchesPerEpoch());
        assertEquals(List.of(3, 3, 3), batchSizes(drop));
        assertEquals(1, drop.nextCount(5), "an explicit request still gets the remaining item");
        assertThrows(InvalidConfigException.class, () -> drop.nextCount(0));
    }

    @Test
    void resetSkipsOnlyStartedEpochs() {
        EpochCursor cursor = shuffled(10, 3, false);
        cursor.reset();
        assertEquals(StreamPosition.START, cursor.position());
        cursor.advance(cursor.nextCount());
        cursor.reset();
        assertEquals(new StreamPosition(1, 0), cursor.position());
    }

    @Test
    void seekRestoresAPositionWithinAnEpoch() {
        EpochCursor original = shuffled(10, 4, false);
        original.advance(4);
        original.advance(4);
        EpochCursor resumed = shuffled(10, 4, false);
        resumed.seek(original.position());
        assertEquals(new StreamPosition(0, 8), resumed.position());
        assertEquals(2, resumed.nextCount());
        resumed.seek(new StreamPosition(3, 10));
        assertFalse(resumed.hasNext());
        assertThrows(InvalidConfigException.class, () -> resumed.seek(new StreamPosition(0, 11)));
        assertThrows(InvalidConfigException.class, () -> resumed.advance(1));
        assertThrows(InvalidConfigException.class, () -> shuffled(10, 0, false));
    }
}
