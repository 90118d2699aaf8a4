package org.deq4j.core.precision;

import java.util.Objects;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which data type the solver keeps its state in and which the cell computes in. The reversible
 * backward divides by (1-β) at every step, so rounding error in the state grows geometrically;
 * keeping the state in float64 while the cell runs in float32 (the default, as in the official
 * RevDEQ code) keeps the rebuilt trajectory exact to about 1e-13 for a few steps at float32 speed.
 *
 * @param stateType   data type of the solver state and of the gradients it carries (float types only)
 * @param computeType data type the cell is evaluated in; states are cast at the cell boundary
 */
public record PrecisionPolicy(DataType stateType, DataType computeType) {

    /** float64 state, float32 cell: the default. */
    public static final PrecisionPolicy MIXED = new PrecisionPolicy(DataType.DOUBLE, DataType.FLOAT);
    /** float64 everywhere: for gradient checks. */
    public static final PrecisionPolicy DOUBLE = new PrecisionPolicy(DataType.DOUBLE, DataType.DOUBLE);
    /** float32 everywhere: fastest, but the reversible backward drifts after a few steps. */
    public static final PrecisionPolicy FLOAT = new PrecisionPolicy(DataType.FLOAT, DataType.FLOAT);

    public PrecisionPolicy {
        Objects.requireNonNull(stateType, "stateType");
        Objects.requireNonNull(computeType, "computeType");
        if (!stateType.isFPType() || !computeType.isFPType()) {
            throw new InvalidConfigException("precision policy needs floating-point types, got state "
                    + stateType + " and compute " + computeType);
        }
    }

    /** Parses "float64", "double", "float32", "float", "float16", "half", "bfloat16" (any case). */
    public static DataType parseType(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "float64", "double", "f64" -> DataType.DOUBLE;
            case "float32", "float", "f32" -> DataType.FLOAT;
            case "float16", "half", "f16" -> DataType.HALF;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            default -> throw new InvalidConfigException("unknown data type '" + name
                    + "'; use float64, float32, float16 or bfloat16");
        };
    }

    /**
     * The cell as the solver must see it: inputs cast to {@link #computeType()}, outputs and
     * state gradients cast back to {@link #stateType()}. Returns {@code cell} itself when both
     * types are equal.
     */
    public Cell wrap(Cell cell) {
        return stateType == computeType ? cell : new CastingCell(cell, this);
    }
}
