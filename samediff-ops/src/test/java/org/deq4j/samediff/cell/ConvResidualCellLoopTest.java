package org.deq4j.samediff.cell;

import static org.deq4j.samediff.cell.ConvResidualCellTest.assertArrayEqualsTol;
import static org.deq4j.samediff.cell.ConvResidualCellTest.randn;
import static org.deq4j.samediff.cell.ConvResidualCellTest.randomParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The cell inside a SameDiff while loop (as the RevDEQ op runs it): {@code z ← f(z, x)} three times
 * must equal three applications of the plain reference.
 */
class ConvResidualCellLoopTest {

    // Not covered, because it does not work in M2.1: weightNorm with the parameters as outer values.
    // g·v/||v|| then depends on outer values only, and the loop silently yields no output at all.
    @ParameterizedTest(name = "weightNorm={0}, paramsAsLoopVars={1}")
    @CsvSource({"false, false", "false, true", "true, true"})
    void cellRunsInsideWhileLoop(boolean weightNorm, boolean paramsAsLoopVars) {
        ConvResidualCell cell = new ConvResidualCell(4, 2, 2, 1e-5, weightNorm);
        List<INDArray> params = randomParams(cell, 11);
        INDArray x = randn(12, 2, 4, 5, 5);
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", DataType.DOUBLE, -1, 4, 5, 5);
        List<SDVariable> pv = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            pv.add(sd.var(cell.parameters().get(i).name(), params.get(i)));
        }
        List<SDVariable> loopVars = new ArrayList<>(List.of(sd.constant(Nd4j.scalar(0L)), xv.mul(1.0)));
        if (paramsAsLoopVars) {
            loopVars.addAll(pv);
        }
        int n = pv.size();
        SDVariable[] out = sd.whileLoop(loopVars.toArray(new SDVariable[0]),
                (s, in) -> in[0].lt(3L),
                (s, in) -> {
                    List<SDVariable> p = paramsAsLoopVars ? List.of(in).subList(2, 2 + n) : pv;
                    List<SDVariable> next = new ArrayList<>(List.of(in[0].add(1L), cell.apply(s, in[1], xv, p)));
                    if (paramsAsLoopVars) {
                        next.addAll(p.stream().map(v -> v.mul(1.0)).toList());
                    }
                    return next.toArray(new SDVariable[0]);
                });
        INDArray got = sd.output(Map.of("x", x), out[1].name()).get(out[1].name());
        ConvResidualReference ref = new ConvResidualReference(cell);
        INDArray want = x;
        for (int i = 0; i < 3; i++) {
            want = ref.apply(want, x, params);
        }
        assertArrayEqualsTol(want, got, 1e-12, "3 loop iterations");
    }
}
