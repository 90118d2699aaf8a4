package org.deq4j.samediff.op;

import java.io.File;
import java.util.Map;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The program {@link RevDeqFreshJvmLoadTest} runs in a child JVM: it uses SameDiff and ND4J only, and
 * touches no deq4j class (deq4j is merely on the class path), so the RevDEQ ops in the graphs it
 * loads must be found without any registration call.
 *
 * <p>Arguments, four per graph: the saved graph, the input x (ND4J binary), the output's name, and
 * the file the output is written to (ND4J binary).
 */
public final class FreshJvmLoad {
    private FreshJvmLoad() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 3 < args.length; i += 4) {
            SameDiff sd = SameDiff.load(new File(args[i]), true);
            INDArray x = Nd4j.readBinary(new File(args[i + 1]));
            String name = args[i + 2];
            INDArray out = sd.output(Map.of("x", x), name).get(name);
            Nd4j.saveBinary(out, new File(args[i + 3]));
            System.out.println("LOADED " + args[i] + " -> " + name + " " + out.dataType());
        }
    }
}
