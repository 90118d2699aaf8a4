package org.deq4j.core.cell;

import java.util.List;

import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.state.ArrayOps;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference cell of the gradient checks: {@code f(z, x) = tanh(z·W + x·U + b)} with state
 * {@code z} of shape (batch, stateSize) and injection {@code x} of shape (batch, inputSize).
 * It is a contraction in {@code z} when the spectral norm of {@code W} is below 1, which
 * {@link #random} arranges by scaling a Gaussian matrix.
 */
public final class TanhMlpCell implements Cell {
    private final INDArray w;
    private final INDArray u;
    private final INDArray b;

    /**
     * @param w (stateSize, stateSize) recurrent weight
     * @param u (inputSize, stateSize) injection weight
     * @param b (1, stateSize) bias
     */
    public TanhMlpCell(INDArray w, INDArray u, INDArray b) {
        long d = w.size(1);
        if (w.rank() != 2 || w.size(0) != d || u.rank() != 2 || u.size(1) != d || b.length() != d) {
            throw new ShapeMismatchException("TanhMlpCell needs W (d,d), U (in,d), b (1,d); got W "
                    + java.util.Arrays.toString(w.shape()) + ", U " + java.util.Arrays.toString(u.shape())
                    + ", b " + java.util.Arrays.toString(b.shape()));
        }
        this.w = w;
        this.u = u;
        this.b = b.reshape(1, d);
    }

    /**
     * A random cell whose recurrent weight has spectral norm about {@code contraction}
     * (a Gaussian d×d matrix with entry std σ/√d has spectral norm close to 2σ).
     */
    public static TanhMlpCell random(int stateSize, int inputSize, double contraction, long seed, DataType type) {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        INDArray w = Nd4j.randn(rng, new long[] {stateSize, stateSize}).castTo(type)
                .muli(contraction / (2.0 * Math.sqrt(stateSize)));
        INDArray u = Nd4j.randn(rng, new long[] {inputSize, stateSize}).castTo(type).muli(1.0 / Math.sqrt(inputSize));
        INDArray b = Nd4j.randn(rng, new long[] {1, stateSize}).castTo(type).muli(0.1);
        return new TanhMlpCell(w, u, b);
    }

    @Override
    public List<INDArray> parameters() {
        return List.of(w, u, b);
    }

    @Override
    public State initialState(State x, DataType type) {
        return State.of(Nd4j.zeros(type, x.batchSize(), w.size(1)));
    }

    @Override
    public State apply(State z, State x) {
        return State.of(Transforms.tanh(preActivation(z, x), false));
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        INDArray h = Transforms.tanh(preActivation(z, x), false);
        // d tanh = 1 - h²
        INDArray ga = gOut.part(0).mul(h.mul(h).rsubi(1.0));
        INDArray gz = ga.mmul(w.transpose());
        INDArray gx = ga.mmul(u.transpose());
        INDArray gw = z.part(0).transpose().mmul(ga);
        INDArray gu = x.part(0).transpose().mmul(ga);
        INDArray gb = ga.sum(true, 0);
        return new CellVjp(State.of(h), State.of(gz), State.of(gx), List.of(gw, gu, gb));
    }

    /** Writes dW, dU and dx straight into the running sums with GEMM (beta = 1): no per-call copies. */
    @Override
    public StateVjp vjpInto(State z, State x, State gOut, double scale, State gxSum, List<INDArray> gParamSums) {
        INDArray h = Transforms.tanh(preActivation(z, x), false);
        INDArray ga = gOut.part(0).mul(h.mul(h).rsubi(1.0));
        INDArray gz = ga.mmul(w.transpose());
        if (sameType(ga, gxSum.part(0), gParamSums.get(0), gParamSums.get(1))) {
            Nd4j.gemm(ga, u, gxSum.part(0), false, true, scale, 1.0);
            Nd4j.gemm(z.part(0), ga, gParamSums.get(0), true, false, scale, 1.0);
            Nd4j.gemm(x.part(0), ga, gParamSums.get(1), true, false, scale, 1.0);
            ArrayOps.axpy(scale, ga.sum(true, 0), gParamSums.get(2));
            return new StateVjp(State.of(h), State.of(gz));
        }
        return Cell.super.vjpInto(z, x, gOut, scale, gxSum, gParamSums);
    }

    private static boolean sameType(INDArray first, INDArray... others) {
        for (INDArray o : others) {
            if (o.dataType() != first.dataType() || o.isView()) {
                return false;
            }
        }
        return true;
    }

    private INDArray preActivation(State z, State x) {
        return z.part(0).mmul(w).addi(x.part(0).mmul(u)).addiRowVector(b);
    }
}
