package org.deq4j.core.exec;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a step may learn about, and decide for, the slots it reads and writes while a program is
 * traced: the compiler's view of its slots, given to every {@link OpStep}.
 */
interface SlotPlan {

    /** Whether the slot holds the same values on every run: a graph constant, or a {@link #markStatic static} result. */
    boolean isConstant(int slot);

    /**
     * Whether the slot's memory is the plan's: a planned buffer or a view of one (not a placeholder,
     * parameter, constant, static value or loop variable).
     */
    boolean isPlanned(int slot);

    /** The slot's value was computed once, at compilation; it keeps that array and is never planned. */
    void markStatic(int slot);

    /**
     * The slot's array is a view of {@code source}'s (same memory, possibly another shape): it gets no
     * buffer of its own, and {@code source}'s buffer lives as long as the view is read.
     */
    void markView(int slot, int source);

    /**
     * A fresh array for a traced value (the trace reuses the arrays of values already read for the
     * last time, so compiling needs about as much memory as running).
     */
    INDArray allocate(DataType type, long[] shape);

    /** The step at schedule position {@code pos} has run while tracing: values last read there are released. */
    void traced(int pos, INDArray[] slots);
}
