package org.deq4j.core.cell;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.state.ArrayOps;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sums the parameter and injection gradients of many cell VJPs during a backward pass, and counts
 * the cell evaluations spent. Accumulators are allocated once, on the first contribution, and then
 * updated in place.
 */
public final class VjpAccumulator {
    private final Cell cell;
    private final State x;
    private State gx;
    private List<INDArray> gParams;
    private int evaluations;

    public VjpAccumulator(Cell cell, State x) {
        this.cell = cell;
        this.x = x;
    }

    /**
     * Evaluates the cell's VJP at {@code z} applied to {@code g} and adds {@code scale} times its
     * injection and parameter gradients to the sums.
     *
     * @return the unscaled VJP, whose {@code value} and {@code gz} the caller uses
     */
    public CellVjp pull(State z, State g, double scale) {
        CellVjp v = cell.valueAndVjp(z, x, g);
        evaluations++;
        if (gx == null) {
            gx = v.gx().zerosLike();
            gParams = new ArrayList<>(v.gParams().size());
            for (INDArray p : v.gParams()) {
                gParams.add(p.like().assign(0));
            }
        }
        gx.addScaledInPlace(scale, v.gx());
        for (int i = 0; i < gParams.size(); i++) {
            ArrayOps.axpy(scale, v.gParams().get(i), gParams.get(i));
        }
        return v;
    }

    /** The summed injection gradient, shaped like {@code x}; zeros if nothing was pulled. */
    public State gx() {
        return gx != null ? gx : x.zerosLike();
    }

    /** The summed parameter gradients, one per parameter; zeros if nothing was pulled. */
    public List<INDArray> gParams() {
        if (gParams != null) {
            return List.copyOf(gParams);
        }
        List<INDArray> zeros = new ArrayList<>();
        for (INDArray p : cell.parameters()) {
            zeros.add(p.like().assign(0));
        }
        return zeros;
    }

    /** Cell evaluations (each a forward plus a VJP) spent so far. */
    public int evaluations() {
        return evaluations;
    }
}
