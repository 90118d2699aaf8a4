package org.deq4j.samediff.cell;

import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The reference graph cell {@code f(z, x) = tanh(z·W + x·U + b)}: state z of shape (batch, stateSize),
 * injection x of shape (batch, inputSize), parameters W (stateSize, stateSize), U (inputSize,
 * stateSize) and b (1, stateSize). The SameDiff twin of the core {@code TanhMlpCell}; a contraction
 * in z when the spectral norm of W is below 1.
 *
 * @param stateSize width of the state
 * @param inputSize width of the injection
 */
public record MlpCell(int stateSize, int inputSize) implements GraphCell {
    /** Registry key. */
    public static final String TYPE = "mlp";

    static {
        register();
    }

    public MlpCell {
        if (stateSize < 1 || inputSize < 1) {
            throw new InvalidConfigException("MlpCell sizes must be positive, got state " + stateSize
                    + " and input " + inputSize);
        }
    }

    /** Registers this cell type with {@link GraphCells} (idempotent). */
    public static void register() {
        GraphCells.register(TYPE, MlpCell::fromConfig);
    }

    /** This cell as a {@link GraphCellType} service (listed in META-INF/services). */
    public static final class Type extends GraphCellType.Of {
        public Type() {
            super(TYPE, MlpCell::fromConfig);
        }
    }

    private static MlpCell fromConfig(Map<String, Object> config) {
        CellConfig c = new CellConfig("MLP cell", config);
        return new MlpCell(c.integer("stateSize"), c.integer("inputSize"));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("stateSize", stateSize, "inputSize", inputSize);
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(
                new ParamSpec("W", new long[] {stateSize, stateSize}, ParamSpec.Init.NORMAL_FAN_IN, stateSize),
                new ParamSpec("U", new long[] {inputSize, stateSize}, ParamSpec.Init.NORMAL_FAN_IN, inputSize),
                new ParamSpec("b", new long[] {1, stateSize}, ParamSpec.Init.ZEROS, 1));
    }

    @Override
    public long[] stateShape(long[] injectionShape) {
        if (injectionShape.length != 2 || (injectionShape[1] != inputSize && injectionShape[1] != -1)) {
            throw new ShapeMismatchException("MlpCell expects an injection of shape (batch, " + inputSize + "), got "
                    + java.util.Arrays.toString(injectionShape));
        }
        return new long[] {injectionShape[0], stateSize};
    }

    @Override
    public SDVariable apply(SameDiff sd, SDVariable z, SDVariable x, List<SDVariable> params) {
        if (params.size() != 3) {
            throw new ShapeMismatchException("MlpCell takes 3 parameters (W, U, b), got " + params.size());
        }
        return sd.math.tanh(z.mmul(params.get(0)).add(x.mmul(params.get(1))).add(params.get(2)));
    }
}
