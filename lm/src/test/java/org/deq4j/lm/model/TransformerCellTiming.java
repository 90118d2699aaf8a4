package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Prints the cost of one evaluation and one value-and-VJP of the transformer cell at a preset's size
 * (default {@code austen-tiny}: d 64, 4 heads, MLP 64→256→64, T 64) with batch 16 in float32, through
 * {@link SameDiffCell}. A measurement, not a gate: it asserts only that the outputs are finite. Run it
 * alone with {@code mvn -pl lm -am test -Dtest=TransformerCellTiming -Dsurefire.failIfNoSpecifiedTests=false},
 * or {@code main} with a preset name, batch size and iteration count.
 */
class TransformerCellTiming {
    @Test
    void printTimings() {
        run("austen-tiny", 16, 5, 20);
    }

    /** Arguments: optional preset name, batch size and iterations (default austen-tiny, 16, 50). */
    public static void main(String[] args) {
        run(args.length > 0 ? args[0] : "austen-tiny", args.length > 1 ? Integer.parseInt(args[1]) : 16, 10,
                args.length > 2 ? Integer.parseInt(args[2]) : 50);
    }

    private static void run(String preset, int batch, int warmup, int iterations) {
        TransformerCell cell = DeqLanguageModelConfig.preset(preset).cell();
        List<INDArray> params = TestTransformers.randomParameters(cell, 1, DataType.FLOAT);
        SameDiffCell core = TestTransformers.coreCell(cell, params);
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(2);
        long[] shape = {batch, cell.contextLength(), cell.dModel()};
        State z = State.of(TestTransformers.randn(rng, DataType.FLOAT, shape));
        State x = State.of(TestTransformers.randn(rng, DataType.FLOAT, shape));
        State g = State.of(TestTransformers.randn(rng, DataType.FLOAT, shape));

        assertTrue(Double.isFinite(core.valueAndVjp(z, x, g).gz().part(0).sumNumber().doubleValue()));
        String size = preset + " (" + cell.parameterCount() + " cell parameters) batch " + batch + " float32";
        report("TransformerCell apply", size, time(() -> core.apply(z, x), warmup, iterations));
        report("TransformerCell valueAndVjp", size, time(() -> core.valueAndVjp(z, x, g), warmup, iterations));
    }

    /** Median and minimum of single-call times in ms: the median resists other processes' load spikes. */
    private static double[] time(Supplier<?> call, int warmup, int iterations) {
        for (int i = 0; i < warmup; i++) {
            call.get();
        }
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            call.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[iterations / 2], ms[0]};
    }

    private static void report(String what, String size, double[] medianMin) {
        System.out.printf(Locale.ROOT, "%-28s %s: median %.1f ms, min %.1f ms%n", what, size, medianMin[0], medianMin[1]);
    }
}
