package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a {@link GraphCell} into a core {@link org.deq4j.core.cell.Cell}: a {@link SameDiffCell}
 * whose graph is the graph cell's {@code apply}, with one state placeholder, one injection
 * placeholder (batch dimension dynamic) and the given arrays as its trainable parameters. The VJP is
 * SameDiff's autodiff of that graph, so any graph cell can be solved and differentiated by the core
 * engine ({@link org.deq4j.core.Deq}) with any solver and adjoint.
 *
 * <p>Live parameters. The arrays passed in are used by the graph as they are (no copy), so they may be
 * views into a larger buffer, such as DL4J's flattened parameter vector: in-place updates of that
 * buffer (by an updater, {@code setParams}, a gradient check) change the cell immediately.
 */
public final class GraphCellAdapter {
    /** Placeholder names; chosen so they cannot collide with a cell's parameter names in practice. */
    static final String STATE = "deq4j_z";
    static final String INJECTION = "deq4j_x";

    private GraphCellAdapter() {
    }

    /**
     * Builds the cell.
     *
     * @param cell                 the graph cell
     * @param injectionSampleShape the per-sample injection shape (without the batch dimension)
     * @param params               one array per {@link GraphCell#parameters()} entry, same order and
     *                             shapes, all of one floating-point data type, which becomes the graph's
     * @throws InvalidConfigException if the number, shapes or data types of the parameters do not match
     *         the cell's {@link ParamSpec}s, the cell has none, or the cell's state shape is not known for this injection
     */
    public static SameDiffCell toCell(GraphCell cell, long[] injectionSampleShape, List<INDArray> params) {
        Objects.requireNonNull(cell, "cell");
        Objects.requireNonNull(params, "params");
        List<ParamSpec> specs = cell.parameters();
        if (specs.size() != params.size()) {
            throw new InvalidConfigException("graph cell '" + cell.type() + "' has " + specs.size()
                    + " parameters " + specs + " but " + params.size() + " arrays were given");
        }
        if (specs.isEmpty()) {
            throw new InvalidConfigException("graph cell '" + cell.type() + "' has no parameters; a DEQ layer"
                    + " needs a trainable cell");
        }
        SameDiffCell.Builder b = SameDiffCell.builder()
                .state(STATE, stateSampleShape(cell, injectionSampleShape))
                .injection(INJECTION, injectionSampleShape);
        for (int i = 0; i < specs.size(); i++) {
            ParamSpec spec = specs.get(i);
            INDArray p = params.get(i);
            if (!Arrays.equals(spec.shape(), p.shape())) {
                throw new InvalidConfigException("parameter '" + spec.name() + "' of graph cell '" + cell.type()
                        + "' has shape " + Arrays.toString(spec.shape()) + " but the array has "
                        + Arrays.toString(p.shape()));
            }
            b.parameter(spec.name(), p);
        }
        return b.define(g -> {
            List<SDVariable> vars = new ArrayList<>(specs.size());
            for (ParamSpec spec : specs) {
                vars.add(g.param(spec.name()));
            }
            return List.of(cell.apply(g.sd(), g.z(), g.x(), vars));
        }).build();
    }

    /**
     * The per-sample state shape the cell produces for an injection of the given per-sample shape.
     *
     * @throws InvalidConfigException if the cell leaves a non-batch dimension unknown
     */
    public static long[] stateSampleShape(GraphCell cell, long[] injectionSampleShape) {
        long[] in = new long[injectionSampleShape.length + 1];
        in[0] = -1;
        System.arraycopy(injectionSampleShape, 0, in, 1, injectionSampleShape.length);
        long[] state = cell.stateShape(in);
        long[] sample = Arrays.copyOfRange(state, 1, state.length);
        for (long d : sample) {
            if (d <= 0) {
                throw new InvalidConfigException("graph cell '" + cell.type() + "' gives state shape "
                        + Arrays.toString(state) + " for injection shape " + Arrays.toString(in)
                        + "; every dimension but the batch must be known");
            }
        }
        return sample;
    }
}
