package org.deq4j.core.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

import org.deq4j.core.ShapeMismatchException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The state of a DEQ layer (or its input injection, or a gradient of either): one array or a tuple
 * of arrays, every part with the batch in dimension 0 and all parts of one data type.
 *
 * <p>A {@code State} is a thin, mutable view over its arrays. Methods whose names end in {@code InPlace}
 * overwrite this state's arrays and return {@code this}, so solver loops can update states without
 * allocating; all other methods leave this state untouched.
 *
 * @throws ShapeMismatchException from the factory methods when parts disagree on batch size or data type
 */
public final class State {
    private final List<INDArray> parts;

    private State(List<INDArray> parts) {
        if (parts.isEmpty()) {
            throw new ShapeMismatchException("a state needs at least one array");
        }
        long batch = parts.get(0).size(0);
        DataType type = parts.get(0).dataType();
        for (int i = 0; i < parts.size(); i++) {
            INDArray p = parts.get(i);
            if (p.rank() < 1 || p.size(0) != batch) {
                throw new ShapeMismatchException("state part " + i + " has shape " + Arrays.toString(p.shape())
                        + " but part 0 has batch size " + batch + " in dimension 0");
            }
            if (p.dataType() != type) {
                throw new ShapeMismatchException("state part " + i + " has data type " + p.dataType()
                        + " but part 0 has " + type + "; all parts of a state share one data type");
            }
        }
        this.parts = List.copyOf(parts);
    }

    /** A state of the given arrays (not copied). */
    public static State of(INDArray... parts) {
        return new State(Arrays.asList(parts));
    }

    /** A state of the given arrays (not copied). */
    public static State of(List<INDArray> parts) {
        return new State(parts);
    }

    /** Number of arrays in the tuple (1 for a plain array state). */
    public int size() {
        return parts.size();
    }

    /** The i-th array of the tuple; the live array, not a copy. */
    public INDArray part(int i) {
        return parts.get(i);
    }

    /** The arrays of the tuple; the live arrays, not copies. */
    public List<INDArray> parts() {
        return parts;
    }

    /** The batch size: dimension 0 of every part. */
    public long batchSize() {
        return parts.get(0).size(0);
    }

    /** The data type shared by all parts. */
    public DataType dataType() {
        return parts.get(0).dataType();
    }

    /** Total number of scalars over all parts. */
    public long length() {
        long n = 0;
        for (INDArray p : parts) {
            n += p.length();
        }
        return n;
    }

    /** A new state of zeros with this state's shapes and data type. */
    public State zerosLike() {
        return map(p -> Nd4j.zeros(p.dataType(), p.shape()));
    }

    /**
     * A deep copy, in the current workspace. Written as allocate-and-assign rather than
     * {@code INDArray.dup()}: a solution kept for a backward pass lives in a {@link PassWorkspace}
     * whose scope has closed, and ND4J's {@code dup()} refuses such arrays although they stay valid
     * until that workspace opens again.
     */
    public State dup() {
        return map(p -> Nd4j.createUninitialized(p.dataType(), p.shape(), p.ordering()).assign(p));
    }

    /** This state cast to {@code type}; this state itself when it already has that type. */
    public State castTo(DataType type) {
        return dataType() == type ? this : map(p -> p.castTo(type));
    }

    /** A new state whose i-th part is {@code fn} applied to the i-th part of this one. */
    public State map(UnaryOperator<INDArray> fn) {
        List<INDArray> out = new ArrayList<>(parts.size());
        for (INDArray p : parts) {
            out.add(fn.apply(p));
        }
        return new State(out);
    }

    /**
     * Checks that {@code other} has the same number of parts, shapes and (unless
     * {@code ignoreType}) data type.
     *
     * @param what names {@code other} in the error message, e.g. "cell output"
     * @throws ShapeMismatchException naming the first part that differs
     */
    public void requireSameShape(State other, String what, boolean ignoreType) {
        if (other.size() != size()) {
            throw new ShapeMismatchException(what + " has " + other.size() + " parts but the state has " + size());
        }
        for (int i = 0; i < size(); i++) {
            INDArray a = parts.get(i);
            INDArray b = other.parts.get(i);
            if (!Arrays.equals(a.shape(), b.shape())) {
                throw new ShapeMismatchException(what + " part " + i + " has shape " + Arrays.toString(b.shape())
                        + " but the state has " + Arrays.toString(a.shape()));
            }
            if (!ignoreType && a.dataType() != b.dataType()) {
                throw new ShapeMismatchException(what + " part " + i + " has data type " + b.dataType()
                        + " but the state has " + a.dataType());
            }
        }
    }

    /** Overwrites this state with the values of {@code other} (cast if needed). */
    public State assignInPlace(State other) {
        for (int i = 0; i < parts.size(); i++) {
            parts.get(i).assign(other.parts.get(i));
        }
        return this;
    }

    /** {@code this = a·this + b·other}, in place. {@code other} must have this state's data type. */
    public State linearInPlace(double a, State other, double b) {
        for (int i = 0; i < parts.size(); i++) {
            INDArray p = parts.get(i);
            INDArray o = other.parts.get(i);
            if (a != 1.0) {
                p.muli(a);
            }
            if (b != 0.0) {
                ArrayOps.axpy(b, o, p);
            }
        }
        return this;
    }

    /** {@code this = this + b·other}, in place. */
    public State addScaledInPlace(double b, State other) {
        return linearInPlace(1.0, other, b);
    }

    /**
     * For each sample i with {@code mask[i] == 1}, replace this state's values by {@code other}'s;
     * samples with {@code mask[i] == 0} keep their values. Used to freeze converged samples.
     *
     * @param mask a vector of length batchSize holding 0 or 1, in this state's data type
     */
    public State selectInPlace(INDArray mask, State other) {
        for (int i = 0; i < parts.size(); i++) {
            INDArray p = parts.get(i);
            INDArray diff = other.parts.get(i).sub(p);
            Nd4j.getExecutioner().exec(new BroadcastMulOp(diff, mask, diff, 0));
            p.addi(diff);
        }
        return this;
    }

    /** Multiplies every sample i by {@code mask[i]}, in place. */
    public State maskInPlace(INDArray mask) {
        for (INDArray p : parts) {
            Nd4j.getExecutioner().exec(new BroadcastMulOp(p, mask, p, 0));
        }
        return this;
    }

    /**
     * Euclidean norm of each sample over all non-batch dimensions and all parts, as a float64
     * vector of length batchSize.
     */
    public INDArray sampleNorms() {
        INDArray sq = null;
        for (INDArray p : parts) {
            INDArray flat = p.reshape(p.size(0), p.length() / p.size(0)).castTo(DataType.DOUBLE);
            INDArray s = flat.mul(flat).sum(1);
            sq = sq == null ? s : sq.addi(s);
        }
        return org.nd4j.linalg.ops.transforms.Transforms.sqrt(sq, false);
    }

    /** Per-sample norm of {@code this - other} (see {@link #sampleNorms()}). */
    public INDArray sampleDistances(State other) {
        return map2(other, INDArray::sub).sampleNorms();
    }

    /** Largest absolute elementwise difference to {@code other} over all parts. */
    public double maxAbsDifference(State other) {
        double m = 0;
        for (int i = 0; i < parts.size(); i++) {
            m = Math.max(m, parts.get(i).castTo(DataType.DOUBLE)
                    .sub(other.parts.get(i).castTo(DataType.DOUBLE)).amaxNumber().doubleValue());
        }
        return m;
    }

    /** Sum over all parts of the elementwise product with {@code other}: the inner product. */
    public double dot(State other) {
        double s = 0;
        for (int i = 0; i < parts.size(); i++) {
            s += parts.get(i).castTo(DataType.DOUBLE).mul(other.parts.get(i).castTo(DataType.DOUBLE))
                    .sumNumber().doubleValue();
        }
        return s;
    }

    private State map2(State other, java.util.function.BinaryOperator<INDArray> fn) {
        List<INDArray> out = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            out.add(fn.apply(parts.get(i), other.parts.get(i)));
        }
        return new State(out);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("State[");
        for (int i = 0; i < parts.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(Arrays.toString(parts.get(i).shape()));
        }
        return sb.append(' ').append(dataType()).append(']').toString();
    }
}
