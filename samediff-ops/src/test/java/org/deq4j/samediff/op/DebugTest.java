package org.deq4j.samediff.op;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class DebugTest {
    @Test
    void debug() {
        RevDeqFixture f = new RevDeqFixture(0.8, 2, 1e-10, 7);
        String[] outs = f.sd.getOutputsForOp(f.z.getCreator());
        System.out.println("OUTS " + java.util.Arrays.toString(outs));
        Map<String, INDArray> o = f.sd.output(f.placeholders(), outs);
        o.forEach((k, v) -> System.out.println("OUT " + k + " " + java.util.Arrays.toString(v.shape())));
        try {
            Map<String, INDArray> g = f.gradients();
        } catch (RuntimeException e) {
            System.out.println(f.sd.getFunction("grad").summary());
        }
    }
}
