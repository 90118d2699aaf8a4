package org.deq4j.core.cell;

import java.util.List;

import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A reference cell with a tuple state {@code (u, v)}, both (batch, d), and injection x (batch, in):
 * {@code u' = tanh(u·A + v·B + x·C)}, {@code v' = tanh(u·D + x·E)}. It exists to prove that every
 * solver and adjoint handles multi-array states; {@link #random} makes it contractive.
 */
public final class TupleTanhCell implements Cell {
    private final INDArray a;
    private final INDArray b;
    private final INDArray c;
    private final INDArray d;
    private final INDArray e;

    public TupleTanhCell(INDArray a, INDArray b, INDArray c, INDArray d, INDArray e) {
        this.a = a;
        this.b = b;
        this.c = c;
        this.d = d;
        this.e = e;
    }

    /** A random contractive cell (each recurrent block has spectral norm about contraction / 2). */
    public static TupleTanhCell random(int stateSize, int inputSize, double contraction, long seed, DataType type) {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        double rec = contraction / (4.0 * Math.sqrt(stateSize));
        double inj = 1.0 / Math.sqrt(inputSize);
        return new TupleTanhCell(
                Nd4j.randn(rng, new long[] {stateSize, stateSize}).castTo(type).muli(rec),
                Nd4j.randn(rng, new long[] {stateSize, stateSize}).castTo(type).muli(rec),
                Nd4j.randn(rng, new long[] {inputSize, stateSize}).castTo(type).muli(inj),
                Nd4j.randn(rng, new long[] {stateSize, stateSize}).castTo(type).muli(rec),
                Nd4j.randn(rng, new long[] {inputSize, stateSize}).castTo(type).muli(inj));
    }

    @Override
    public List<INDArray> parameters() {
        return List.of(a, b, c, d, e);
    }

    @Override
    public State initialState(State x, DataType type) {
        long n = x.batchSize();
        return State.of(Nd4j.zeros(type, n, a.size(1)), Nd4j.zeros(type, n, a.size(1)));
    }

    @Override
    public State apply(State z, State x) {
        INDArray u = z.part(0);
        INDArray v = z.part(1);
        INDArray xs = x.part(0);
        return State.of(Transforms.tanh(u.mmul(a).addi(v.mmul(b)).addi(xs.mmul(c)), false),
                Transforms.tanh(u.mmul(d).addi(xs.mmul(e)), false));
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        State value = apply(z, x);
        INDArray u = z.part(0);
        INDArray v = z.part(1);
        INDArray xs = x.part(0);
        INDArray h1 = value.part(0);
        INDArray h2 = value.part(1);
        INDArray g1 = gOut.part(0).mul(h1.mul(h1).rsubi(1.0));
        INDArray g2 = gOut.part(1).mul(h2.mul(h2).rsubi(1.0));
        INDArray gu = g1.mmul(a.transpose()).addi(g2.mmul(d.transpose()));
        INDArray gv = g1.mmul(b.transpose());
        INDArray gx = g1.mmul(c.transpose()).addi(g2.mmul(e.transpose()));
        return new CellVjp(value, State.of(gu, gv), State.of(gx), List.of(
                u.transpose().mmul(g1), v.transpose().mmul(g1), xs.transpose().mmul(g1),
                u.transpose().mmul(g2), xs.transpose().mmul(g2)));
    }
}
