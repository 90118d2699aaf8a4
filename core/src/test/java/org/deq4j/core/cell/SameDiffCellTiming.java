package org.deq4j.core.cell;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Prints the cost of {@link SameDiffCell#apply} and {@link SameDiffCell#valueAndVjp} for a tanh MLP
 * cell (state 256, injection 256, batch 64, float32) next to the hand-written {@link TanhMlpCell}.
 * A measurement, not a benchmark gate: it asserts only that the two cells agree. Run it alone with
 * {@code mvn -pl core test -Dtest=SameDiffCellTiming}, or {@code main} for more iterations.
 */
class SameDiffCellTiming {
    @Test
    void printTimings() {
        run(256, 64, 20, 50);
    }

    /** Arguments: optional state size and batch size (default 256 and 64). */
    public static void main(String[] args) {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 256, args.length > 1 ? Integer.parseInt(args[1]) : 64,
                200, 1000);
    }

    private static void run(int state, int batch, int warmup, int iterations) {
        TanhMlpCell ref = TanhMlpCell.random(state, state, 0.9, 1, DataType.FLOAT);
        List<INDArray> p = ref.parameters();
        SameDiffCell cell = SameDiffCellTest.tanhMlp(p.get(0), p.get(1), p.get(2));
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(2);
        State z = State.of(Nd4j.randn(rng, new long[] {batch, state}).castTo(DataType.FLOAT));
        State x = State.of(Nd4j.randn(rng, new long[] {batch, state}).castTo(DataType.FLOAT));
        State g = State.of(Nd4j.randn(rng, new long[] {batch, state}).castTo(DataType.FLOAT));

        assertTrue(ref.valueAndVjp(z, x, g).gz().maxAbsDifference(cell.valueAndVjp(z, x, g).gz()) < 1e-4);
        String size = "state " + state + " batch " + batch;
        report("SameDiffCell.apply", size, time(() -> cell.apply(z, x), warmup, iterations));
        report("SameDiffCell.valueAndVjp", size, time(() -> cell.valueAndVjp(z, x, g), warmup, iterations));
        report("TanhMlpCell.apply", size, time(() -> ref.apply(z, x), warmup, iterations));
        report("TanhMlpCell.valueAndVjp", size, time(() -> ref.valueAndVjp(z, x, g), warmup, iterations));
    }

    /** Median and minimum of single-call times in µs: the median resists other processes' load spikes. */
    private static double[] time(Supplier<?> call, int warmup, int iterations) {
        for (int i = 0; i < warmup; i++) {
            call.get();
        }
        double[] us = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            call.get();
            us[i] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(us);
        return new double[] {us[iterations / 2], us[0]};
    }

    private static void report(String what, String size, double[] micros) {
        System.out.printf(Locale.ROOT, "[timing] %-26s %s float32: median %9.1f us, min %9.1f us%n",
                what, size, micros[0], micros[1]);
    }
}
