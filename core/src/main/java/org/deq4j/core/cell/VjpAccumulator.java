package org.deq4j.core.cell;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
     * @return the value and the unscaled state gradient, which the caller uses
     */
    public StateVjp pull(State z, State g, double scale) {
        if (gx == null) {
            // The sums outlive the loop iteration (and its workspace) that first fills them.
            gx = Workspaces.detached(x::zerosLike);
            gParams = Workspaces.detached(() -> zerosLike(cell.parameters()));
        }
        evaluations++;
        return cell.vjpInto(z, x, g, scale, gx, gParams);
    }

    /** The summed injection gradient, shaped like {@code x}; zeros if nothing was pulled. */
    public State gx() {
        return gx != null ? gx : x.zerosLike();
    }

    /** The summed parameter gradients, one per parameter; zeros if nothing was pulled. */
    public List<INDArray> gParams() {
        return gParams != null ? List.copyOf(gParams) : zerosLike(cell.parameters());
    }

    private static List<INDArray> zerosLike(List<INDArray> arrays) {
        List<INDArray> zeros = new ArrayList<>(arrays.size());
        for (INDArray p : arrays) {
            zeros.add(Nd4j.zeros(p.dataType(), p.shape()));
        }
        return zeros;
    }

    /** Cell evaluations (each a forward plus a VJP) spent so far. */
    public int evaluations() {
        return evaluations;
    }
}
