package org.deq4j.core.solver;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How a state of any rank and any number of parts maps to one flat vector per sample: the parts'
 * non-batch dimensions flattened in C order and concatenated, giving a (batch, dim) matrix. The
 * quasi-Newton solvers work on that matrix because their inner products must run over every part
 * of a sample at once.
 */
final class FlatLayout {
    private final long batch;
    private final long[][] shapes;
    private final long[] offsets;
    private final long[] lengths;
    private final long dim;

    private FlatLayout(State like) {
        batch = like.batchSize();
        int n = like.size();
        shapes = new long[n][];
        offsets = new long[n];
        lengths = new long[n];
        long off = 0;
        for (int i = 0; i < n; i++) {
            INDArray p = like.part(i);
            shapes[i] = p.shape();
            offsets[i] = off;
            lengths[i] = p.length() / batch;
            off += lengths[i];
        }
        dim = off;
    }

    /** The layout of states shaped like {@code like}. */
    static FlatLayout of(State like) {
        return new FlatLayout(like);
    }

    /** Scalars per sample over all parts. */
    long dim() {
        return dim;
    }

    long batch() {
        return batch;
    }

    /** Copies {@code s} into {@code target}, a (batch, dim) matrix or view. */
    void gather(State s, INDArray target) {
        if (shapes.length == 1) {
            target.assign(s.part(0).reshape('c', batch, dim));
            return;
        }
        for (int i = 0; i < shapes.length; i++) {
            columns(target, i).assign(s.part(i).reshape('c', batch, lengths[i]));
        }
    }

    /**
     * A state shaped like this layout holding the values of {@code flat} (batch, dim): views of
     * {@code flat} where ND4J can reshape without copying, copies otherwise. For reading only.
     */
    State scatter(INDArray flat) {
        if (shapes.length == 1) {
            return State.of(flat.reshape('c', shapes[0]));
        }
        List<INDArray> parts = new ArrayList<>(shapes.length);
        for (int i = 0; i < shapes.length; i++) {
            parts.add(columns(flat, i).reshape('c', shapes[i]));
        }
        return State.of(parts);
    }

    private INDArray columns(INDArray flat, int part) {
        return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(offsets[part], offsets[part] + lengths[part]));
    }
}
