package org.deq4j.core.cell;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A cell under locked (variational) dropout: {@code f(m ⊙ z, x; θ)} for one fixed mask {@code m},
 * the state entering the cell masked as the hidden state of a variationally dropped-out RNN is. The
 * mask is a constant of the cell, so every evaluation (each solver iteration, the adjoint's backward
 * pass, a rebuilt trajectory) sees the same one and the cell stays deterministic, as the reversible
 * adjoint requires; its VJP is the inner cell's with {@code gz} multiplied by {@code m}. Make one per
 * training step with a mask from {@link VariationalDropout#sample}; evaluate without it.
 *
 * <p>The mask has one part per state part, each broadcastable against that part (for example
 * (batch, channels, 1, 1) for an NCHW state) and floating point; it is used in whatever type the
 * state arrives in (a cast copy is kept per type). Temporaries are allocated in the current
 * workspace, which the solver loops reuse per iteration.
 */
public final class LockedDropoutCell implements Cell {
    private final Cell inner;
    private final State mask;
    private final Map<DataType, State> maskByType = new EnumMap<>(DataType.class);

    /**
     * @throws ShapeMismatchException if the mask is not floating point
     */
    public LockedDropoutCell(Cell inner, State mask) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.mask = Objects.requireNonNull(mask, "mask");
        if (!mask.dataType().isFPType()) {
            throw new ShapeMismatchException("a dropout mask must be floating point, got " + mask.dataType());
        }
        maskByType.put(mask.dataType(), mask);
    }

    /** The cell without dropout. */
    public Cell inner() {
        return inner;
    }

    /** The mask, as given. */
    public State mask() {
        return mask;
    }

    @Override
    public List<INDArray> parameters() {
        return inner.parameters();
    }

    @Override
    public State initialState(State x, DataType type) {
        return inner.initialState(x, type);
    }

    @Override
    public State apply(State z, State x) {
        return inner.apply(masked(z), x);
    }

    @Override
    public State applyAs(State z, State x, DataType type) {
        return inner.applyAs(masked(z), x, type);
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        CellVjp v = inner.valueAndVjp(masked(z), x, gOut);
        return new CellVjp(v.value(), masked(v.gz()), v.gx(), v.gParams());
    }

    @Override
    public CellVjp valueAndVjpAs(State z, State x, State gOut, DataType stateType, DataType injectionType) {
        CellVjp v = inner.valueAndVjpAs(masked(z), x, gOut, stateType, injectionType);
        return new CellVjp(v.value(), masked(v.gz()), v.gx(), v.gParams());
    }

    @Override
    public StateVjp vjpInto(State z, State x, State gOut, double scale, State gxSum, List<INDArray> gParamSums) {
        StateVjp v = inner.vjpInto(masked(z), x, gOut, scale, gxSum, gParamSums);
        return new StateVjp(v.value(), masked(v.gz()));
    }

    /** {@code m ⊙ s} as a new state: the mask is diagonal, so it serves the value and the VJP alike. */
    private State masked(State s) {
        if (s.size() != mask.size()) {
            throw new ShapeMismatchException("the dropout mask has " + mask.size() + " parts but the state has "
                    + s.size());
        }
        State m = maskIn(s.dataType());
        List<INDArray> out = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            INDArray p = s.part(i);
            INDArray r = Nd4j.createUninitialized(p.dataType(), p.shape());
            try {
                Nd4j.exec(new MulOp(p, m.part(i), r));
            } catch (RuntimeException e) {
                throw new ShapeMismatchException("dropout mask part " + i + " of shape "
                        + Arrays.toString(m.part(i).shape()) + " does not broadcast against the state's "
                        + Arrays.toString(p.shape()) + ": " + e.getMessage());
            }
            out.add(r);
        }
        return State.of(out);
    }

    private State maskIn(DataType type) {
        return maskByType.computeIfAbsent(type, t -> {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return mask.castTo(t);
            }
        });
    }
}
