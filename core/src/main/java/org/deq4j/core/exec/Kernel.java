package org.deq4j.core.exec;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A faster way to compute one SameDiff op than its own native kernel, giving the same result up to
 * the order of floating-point sums (see {@link Kernels}). Bound to the op's input and output arrays
 * before it runs, and again whenever an input array changes.
 */
interface Kernel {

    /**
     * Binds the kernel to arrays; it may take temporary arrays from {@code scratch}, which it must
     * not expect to keep their contents between runs.
     */
    void bind(INDArray[] inputs, INDArray[] outputs, Scratch scratch);

    /** Computes the outputs from the inputs of the last {@link #bind}. */
    void exec();

    /** Frees native op contexts. */
    void close();

    /**
     * The input that output {@code output} equals exactly (so it could be that input's array instead
     * of a copy), or -1.
     */
    default int aliasOf(int output) {
        return -1;
    }

    /** The caller made output {@code output} the very array of its {@link #aliasOf} input: skip it. */
    default void useAlias(int output) {
        throw new UnsupportedOperationException("output " + output + " is no alias");
    }

    /** Whether {@link #useAlias} was called for {@code output}. */
    default boolean usesAlias(int output) {
        return false;
    }
}
