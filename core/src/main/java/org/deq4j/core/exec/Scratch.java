package org.deq4j.core.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Temporary arrays for {@link Kernel}s. The steps of a program run one at a time and a kernel needs
 * its temporaries only while it runs, so every kernel of a program shares the same buffers: the
 * i-th temporary of a given type and length is the same memory for every kernel. Memory is the
 * largest need of any one kernel, not the sum.
 */
final class Scratch {
    private final Map<String, List<INDArray>> buffers = new HashMap<>();
    private final List<INDArray> all = new ArrayList<>();

    /** The {@code index}-th temporary of this type and length, shaped {@code shape} ('c' order). */
    INDArray get(DataType type, long[] shape, int index) {
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        List<INDArray> list = buffers.computeIfAbsent(type + ":" + length, k -> new ArrayList<>());
        while (list.size() <= index) {
            INDArray b = Nd4j.createUninitializedDetached(type, length);
            list.add(b);
            all.add(b);
        }
        INDArray base = list.get(index);
        return shape.length == 1 ? base : base.reshape('c', shape);
    }

    long bytes() {
        long total = 0;
        for (INDArray b : all) {
            total += b.length() * b.dataType().width();
        }
        return total;
    }

    void close() {
        for (INDArray b : all) {
            if (b.closeable()) {
                b.close();
            }
        }
        all.clear();
        buffers.clear();
    }
}
