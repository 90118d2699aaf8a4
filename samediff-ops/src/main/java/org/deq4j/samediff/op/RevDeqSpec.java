package org.deq4j.samediff.op;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.GraphCells;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Everything the RevDEQ ops need to rebuild their sub-graphs: the cell, the solver settings, the
 * precision policy and the per-sample state shape. It travels with the ops as SameDiff op
 * properties (numbers and strings only), which is what lets the ops survive the FlatBuffers clone
 * of gradient creation and {@code SameDiff.save/load}.
 *
 * @param cell        the cell f(z, x; θ)
 * @param beta        relaxation in (0, 2), not 1
 * @param maxSteps    forward step budget, at least 1
 * @param tol         relative residual below which a sample stops (and is frozen)
 * @param stateType   data type of y, z and their cotangents (float64 recommended)
 * @param computeType data type the cell runs in; states are cast at the cell boundary
 * @param stateShape  the state's shape with the batch dimension set to -1
 * @param lockedDropout whether the ops take a locked-dropout mask as their last input, multiplied
 *                    into the state at every cell evaluation (see {@link CellGraph}); graphs saved
 *                    before the setting have no such property and no mask
 */
record RevDeqSpec(GraphCell cell, double beta, int maxSteps, double tol, DataType stateType, DataType computeType,
        long[] stateShape, boolean lockedDropout) {
    private static final String CELL_PREFIX = "cell.";
    private static final String LOCKED_DROPOUT = "lockedDropout";

    RevDeqSpec {
        Objects.requireNonNull(cell, "cell");
        Objects.requireNonNull(stateType, "stateType");
        Objects.requireNonNull(computeType, "computeType");
        new ReversibleSolver(beta); // validates beta with the core's message
        if (maxSteps < 1) {
            throw new InvalidConfigException("max steps must be at least 1, got " + maxSteps);
        }
        if (!(tol > 0) || Double.isInfinite(tol)) {
            throw new InvalidConfigException("tolerance must be positive and finite, got " + tol);
        }
        if (!stateType.isFPType() || !computeType.isFPType()) {
            throw new InvalidConfigException("RevDEQ needs floating-point state and compute types, got "
                    + stateType + " and " + computeType);
        }
        stateShape = stateShape.clone();
    }

    /** Rank of the state, batch dimension included. */
    int stateRank() {
        return stateShape.length;
    }

    /** The non-batch dimensions 1..rank-1, over which per-sample norms are taken. */
    int[] sampleDims() {
        int[] d = new int[stateShape.length - 1];
        for (int i = 0; i < d.length; i++) {
            d[i] = i + 1;
        }
        return d;
    }

    /** Shape that broadcasts a per-sample vector over the state: (-1, 1, ..., 1). */
    long[] maskShape() {
        long[] s = new long[stateShape.length];
        Arrays.fill(s, 1);
        s[0] = -1;
        return s;
    }

    /** The op properties: primitives and strings only, so FlatBuffers can carry them. */
    Map<String, Object> toProperties() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("beta", beta);
        p.put("maxSteps", maxSteps);
        p.put("tol", tol);
        p.put("stateType", stateType.name());
        p.put("computeType", computeType.name());
        p.put("stateShape", stateShape.clone());
        p.put("cellType", cell.type());
        for (Map.Entry<String, Object> e : cell.config().entrySet()) {
            p.put(CELL_PREFIX + e.getKey(), e.getValue());
        }
        if (lockedDropout) {
            p.put(LOCKED_DROPOUT, true);
        }
        return p;
    }

    /**
     * Inverse of {@link #toProperties()}.
     *
     * @throws InvalidConfigException if a property is missing or the cell type is not registered
     */
    static RevDeqSpec fromProperties(Map<String, Object> p) {
        Map<String, Object> cellConfig = new HashMap<>();
        for (Map.Entry<String, Object> e : p.entrySet()) {
            if (e.getKey().startsWith(CELL_PREFIX)) {
                cellConfig.put(e.getKey().substring(CELL_PREFIX.length()), e.getValue());
            }
        }
        GraphCell cell = GraphCells.create((String) require(p, "cellType"), cellConfig);
        return new RevDeqSpec(cell, ((Number) require(p, "beta")).doubleValue(),
                ((Number) require(p, "maxSteps")).intValue(), ((Number) require(p, "tol")).doubleValue(),
                DataType.valueOf((String) require(p, "stateType")), DataType.valueOf((String) require(p, "computeType")),
                (long[]) require(p, "stateShape"), Boolean.TRUE.equals(p.get(LOCKED_DROPOUT)));
    }

    private static Object require(Map<String, Object> p, String key) {
        Object v = p.get(key);
        if (v == null) {
            throw new InvalidConfigException("RevDEQ op property '" + key + "' is missing; properties: " + p.keySet());
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RevDeqSpec s && s.cell.equals(cell) && s.beta == beta && s.maxSteps == maxSteps
                && s.tol == tol && s.stateType == stateType && s.computeType == computeType
                && Arrays.equals(s.stateShape, stateShape) && s.lockedDropout == lockedDropout;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cell, beta, maxSteps, tol, stateType, computeType, Arrays.hashCode(stateShape), lockedDropout);
    }

    @Override
    public String toString() {
        return "RevDeqSpec[cell=" + cell.type() + cell.config() + ", beta=" + beta + ", maxSteps=" + maxSteps
                + ", tol=" + tol + ", state=" + stateType + ", compute=" + computeType + ", stateShape="
                + Arrays.toString(stateShape) + (lockedDropout ? ", lockedDropout" : "") + "]";
    }
}
