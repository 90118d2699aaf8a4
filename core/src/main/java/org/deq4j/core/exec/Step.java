package org.deq4j.core.exec;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One unit of a {@link GraphProgram}'s schedule, reading and writing arrays through slot numbers. */
interface Step {

    /**
     * Runs the step on planned arrays (every slot it writes already holds its buffer).
     *
     * @param slots the program's arrays by slot number
     */
    void run(INDArray[] slots);

    /**
     * Runs the step while the program is being compiled: writes into fresh arrays it allocates into
     * {@code slots} where a slot is still empty, recording shapes for the buffer plan.
     */
    void trace(INDArray[] slots);

    /** Binds the step's op contexts to the planned arrays (after {@link #trace}). */
    void bind(INDArray[] slots);

    /** Frees the step's native resources (op contexts). */
    void close();
}
