package org.deq4j.samediff.unrolled;

import java.util.List;
import java.util.Map;

import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Test cell: {@code tanh(z·W + x·U + b)}, the graph twin of {@link org.deq4j.core.cell.TanhMlpCell}. */
record TanhMlpGraphCell(int stateSize, int inputSize) implements GraphCell {

    @Override
    public String type() {
        return "test_tanh_mlp";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("stateSize", stateSize, "inputSize", inputSize);
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(new ParamSpec("W", new long[] {stateSize, stateSize}, ParamSpec.Init.NORMAL_FAN_IN, stateSize),
                new ParamSpec("U", new long[] {inputSize, stateSize}, ParamSpec.Init.NORMAL_FAN_IN, inputSize),
                new ParamSpec("b", new long[] {1, stateSize}, ParamSpec.Init.ZEROS, 1));
    }

    @Override
    public long[] stateShape(long[] injectionShape) {
        return new long[] {injectionShape[0], stateSize};
    }

    @Override
    public SDVariable apply(SameDiff sd, SDVariable z, SDVariable x, List<SDVariable> params) {
        return sd.math().tanh(z.mmul(params.get(0)).add(x.mmul(params.get(1))).add(params.get(2)));
    }
}
