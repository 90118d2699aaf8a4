package org.deq4j.lm.corpus;

import java.util.Arrays;

/**
 * Dense ids for the n-grams of one order of a {@link KneserNeyModel}: an open-addressing hash table from a
 * non-negative {@code long} key to the id {@code 0, 1, 2, ...} it was first given. Primitive arrays instead
 * of a {@code HashMap<Long, Integer>} because an order-5 model of a few million tokens holds millions of
 * n-grams: 24 bytes per n-gram here (half-full table of a {@code long} and an {@code int}), about 80
 * with boxed entries.
 */
final class NgramIndex {
    private static final long EMPTY = -1;
    private static final int MAX_CAPACITY = 1 << 30;

    private long[] keys;
    private int[] ids;
    private int size;

    NgramIndex() {
        keys = new long[16];
        Arrays.fill(keys, EMPTY);
        ids = new int[16];
    }

    /** Number of keys, which is also the next id. */
    int size() {
        return size;
    }

    /** The id of {@code key}, or -1 if it has none. */
    int get(long key) {
        int mask = keys.length - 1;
        for (int slot = slot(key, mask); ; slot = (slot + 1) & mask) {
            if (keys[slot] == key) {
                return ids[slot];
            }
            if (keys[slot] == EMPTY) {
                return -1;
            }
        }
    }

    /**
     * The id of {@code key}, given the next free one ({@link #size()} before the call) if it had none.
     *
     * @param key {@code >= 0}
     */
    int getOrAdd(long key) {
        int mask = keys.length - 1;
        int slot = slot(key, mask);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ids[slot] = size;
        if (++size * 2 > keys.length) {
            grow();
        }
        return size - 1;
    }

    /** Calls {@code action} with every key and its id, in no particular order. */
    void forEach(KeyIdConsumer action) {
        for (int slot = 0; slot < keys.length; slot++) {
            if (keys[slot] != EMPTY) {
                action.accept(keys[slot], ids[slot]);
            }
        }
    }

    /** Receives a key and its id. */
    @FunctionalInterface
    interface KeyIdConsumer {
        void accept(long key, int id);
    }

    private void grow() {
        if (keys.length == MAX_CAPACITY) {
            throw new IllegalStateException("more than " + MAX_CAPACITY / 2 + " distinct n-grams of one order");
        }
        long[] oldKeys = keys;
        int[] oldIds = ids;
        keys = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        ids = new int[keys.length];
        int mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int slot = slot(oldKeys[i], mask);
                while (keys[slot] != EMPTY) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = oldKeys[i];
                ids[slot] = oldIds[i];
            }
        }
    }

    // Keys are (prefix id, token) pairs packed as prefix * V + token: consecutive for one prefix, so they
    // are mixed (Stafford's variant 13 of the MurmurHash3 finaliser) before masking to the table size.
    private static int slot(long key, int mask) {
        long h = (key ^ (key >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return (int) (h ^ (h >>> 31)) & mask;
    }
}
