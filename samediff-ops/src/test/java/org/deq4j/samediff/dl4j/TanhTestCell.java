package org.deq4j.samediff.dl4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.GraphCells;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Test-only graph cell {@code f(z, x) = tanh(z·W + x·U + b)} on [batch, d] states and [batch, in]
 * injections, parameters W [d, d], U [in, d], b [1, d] (the layout of core's {@code TanhMlpCell},
 * the independent reference). W's initial spectral norm is about {@code contraction}: its fan-in is
 * set to {@code 4d/contraction²} (a Gaussian d×d matrix with entry std σ has spectral norm ≈ 2σ√d).
 * Public for the tests of other packages (the unrolled SameDiff RevDEQ).
 */
public record TanhTestCell(int stateSize, int inputSize, double contraction) implements GraphCell {
    static final String TYPE = "test_tanh";

    static {
        GraphCells.register(TYPE, TanhTestCell::fromConfig);
    }

    /** Forces registration (the static initialiser runs on first use of the class). */
    static void register() {
        GraphCells.register(TYPE, TanhTestCell::fromConfig);
    }

    static TanhTestCell fromConfig(Map<String, Object> c) {
        return new TanhTestCell(((Number) c.get("stateSize")).intValue(), ((Number) c.get("inputSize")).intValue(),
                ((Number) c.get("contraction")).doubleValue());
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stateSize", stateSize);
        m.put("inputSize", inputSize);
        m.put("contraction", contraction);
        return m;
    }

    @Override
    public List<ParamSpec> parameters() {
        long fanW = Math.round(4.0 * stateSize / (contraction * contraction));
        return List.of(new ParamSpec("W", new long[] {stateSize, stateSize}, ParamSpec.Init.NORMAL_FAN_IN, fanW),
                new ParamSpec("U", new long[] {inputSize, stateSize}, ParamSpec.Init.NORMAL_FAN_IN, inputSize),
                new ParamSpec("b", new long[] {1, stateSize}, ParamSpec.Init.ZEROS, 0));
    }

    @Override
    public long[] stateShape(long[] injectionShape) {
        return new long[] {injectionShape[0], stateSize};
    }

    @Override
    public SDVariable apply(SameDiff sd, SDVariable z, SDVariable x, List<SDVariable> p) {
        return sd.math().tanh(z.mmul(p.get(0)).add(x.mmul(p.get(1))).add(p.get(2)));
    }
}
