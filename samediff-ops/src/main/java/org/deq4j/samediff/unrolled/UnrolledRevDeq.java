package org.deq4j.samediff.unrolled;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.op.ReversibleStepGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The static baseline of the RevDEQ layer: a fixed number of reversible solver steps written out as
 * ordinary SameDiff operations, differentiated by SameDiff's own autodiff (backpropagation through
 * the stored trajectory: memory grows linearly with the number of steps). It computes, from
 * {@code y = z = 0}:
 * <pre>
 *   fz = f(z)
 *   repeat steps times:
 *       y  = (1-β)·y + β·fz
 *       z  = (1-β)·z + β·f(y)
 *       fz = f(z)                    (not evaluated after the last step: the output is z)
 * </pre>
 * with the op's own symbolic half-steps ({@link ReversibleStepGraph}), i.e. exactly the forward pass of the RevDEQ op and of {@code org.deq4j.core.Deq} with the reversible
 * solver when every step is taken, with 2·steps cell evaluations. It needs no while loop, so it works
 * wherever plain SameDiff graphs do; use it as the reference for the RevDEQ op and as a fallback
 * when memory is not a concern. There is no early stopping.
 */
public final class UnrolledRevDeq {
    private UnrolledRevDeq() {
    }

    /**
     * Builds the unrolled solve in {@code sd} and returns z after {@code steps} steps.
     *
     * @param x      the injection; its shape must be known except for the batch dimension (-1)
     * @param params the cell's parameters, in {@link GraphCell#parameters()} order
     * @param beta   relaxation in (0, 2); 1 is allowed here (nothing is inverted) but the RevDEQ op rejects it
     * @param steps  number of solver steps, at least 1
     * @throws InvalidConfigException if {@code beta} or {@code steps} is out of range, or the shape of
     *         {@code x} is unknown
     * @throws ShapeMismatchException if the cell rejects the injection's shape
     */
    public static SDVariable apply(SameDiff sd, GraphCell cell, SDVariable x, List<SDVariable> params,
                                   double beta, int steps) {
        return unroll(sd, cell, x, params, beta, steps, Optional.empty());
    }

    /**
     * {@link #apply} under locked dropout: every cell evaluation sees {@code mask ⊙ z}, the RevDEQ op's
     * masked forward, so this is the reference for its masked gradients.
     *
     * @param mask broadcastable against the state, of x's data type (see {@link GraphCell#dropoutMaskShape})
     */
    public static SDVariable apply(SameDiff sd, GraphCell cell, SDVariable x, List<SDVariable> params,
                                   double beta, int steps, SDVariable mask) {
        return unroll(sd, cell, x, params, beta, steps, Optional.of(mask));
    }

    private static SDVariable unroll(SameDiff sd, GraphCell cell, SDVariable x, List<SDVariable> params,
                                     double beta, int steps, Optional<SDVariable> mask) {
        if (!(beta > 0 && beta < 2)) {
            throw new InvalidConfigException("reversible beta must be in (0, 2), got " + beta);
        }
        if (steps < 1) {
            throw new InvalidConfigException("unrolled RevDEQ needs at least 1 step, got " + steps);
        }
        if (params.size() != cell.parameters().size()) {
            throw new ShapeMismatchException("cell '" + cell.type() + "' takes " + cell.parameters().size()
                    + " parameters, got " + params.size());
        }
        SDVariable y = zeroState(sd, cell, x);
        SDVariable z = y;
        for (int n = 1; n <= steps; n++) {
            y = ReversibleStepGraph.relax(y, cell.apply(sd, masked(z, mask), x, params), beta);
            z = ReversibleStepGraph.relax(z, cell.apply(sd, masked(y, mask), x, params), beta);
        }
        return z;
    }

    private static SDVariable masked(SDVariable state, Optional<SDVariable> mask) {
        return mask.map(state::mul).orElse(state);
    }

    /** z0 = 0 shaped by {@link GraphCell#stateShape}; the batch size is read from x at run time if dynamic. */
    private static SDVariable zeroState(SameDiff sd, GraphCell cell, SDVariable x) {
        long[] xShape = x.getShape();
        if (xShape == null) {
            throw new InvalidConfigException("unrolled RevDEQ needs the injection's shape (all but the batch size): "
                    + "variable '" + x.name() + "' has none; create it with a shape, e.g. a placeholder [-1, ...]");
        }
        long[] shape = cell.stateShape(xShape);
        DataType type = x.dataType();
        if (shape[0] >= 0) {
            return sd.constant(Nd4j.zeros(type, shape));
        }
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new InvalidConfigException("unrolled RevDEQ: only the batch dimension may be unknown, state shape "
                        + Arrays.toString(shape));
            }
        }
        SDVariable batch = sd.slice(sd.shape(x), new int[] {0}, 1);
        SDVariable rest = sd.constant(Nd4j.createFromArray(Arrays.copyOfRange(shape, 1, shape.length)));
        return sd.fill(sd.concat(0, batch, rest), type, 0.0);
    }
}
