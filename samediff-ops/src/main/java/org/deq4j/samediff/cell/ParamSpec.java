package org.deq4j.samediff.cell;

import java.util.Arrays;
import java.util.Objects;

/**
 * A cell parameter's name, shape and initialisation.
 *
 * @param name  unique within the cell, e.g. "conv1_W"
 * @param shape full shape
 * @param init  how to initialise it
 * @param fanIn inputs feeding one output unit, used by the Kaiming/Xavier-style initialisers
 */
public record ParamSpec(String name, long[] shape, Init init, long fanIn) {

    /** Parameter initialisations. */
    public enum Init {
        /** Normal with std gain/sqrt(fanIn) (Kaiming-style for ReLU with gain sqrt(2)). */
        NORMAL_FAN_IN,
        ZEROS,
        ONES
    }

    public ParamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(init, "init");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParamSpec p && p.name.equals(name) && Arrays.equals(p.shape, shape)
                && p.init == init && p.fanIn == fanIn;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), init, fanIn);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + init;
    }
}
