package org.deq4j.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link GraphProgram} and {@link GraphRunner} against SameDiff's own executor on the same graphs:
 * plain ops, gradient functions (with the replacement kernels), while loops, buffer planning,
 * signatures, recompilation, refusal of unsupported ops, closing and listeners.
 */
class GraphProgramTest {
    private static final int IN = 4;
    private static final int HIDDEN = 8;

    private static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE);
    }

    private static double maxAbsDiff(INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        assertEquals(expected.dataType(), actual.dataType(), "data type");
        return expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    /**
     * Equal to float64 rounding: elementwise ops run SameDiff's own kernels (bit for bit), but sums
     * and means run as matrix products (BlockSum), which add in another order.
     */
    private static void assertSame(INDArray expected, INDArray actual, String what) {
        assertRelClose(expected, actual, 1e-14, what);
    }

    private static void assertRelClose(INDArray expected, INDArray actual, double tol, String what) {
        double err = maxAbsDiff(expected, actual);
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-300);
        assertTrue(err <= tol * scale, what + ": max abs difference " + err + " > " + tol + " x " + scale);
    }

    /** SameDiff's own results, copied (the session may reuse its arrays). */
    private static Map<String, INDArray> reference(SameDiff sd, Map<String, INDArray> placeholders,
                                                   List<String> outputs) {
        Map<String, INDArray> out = new TreeMap<>();
        sd.output(placeholders, outputs).forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    private static void assertMatchesReference(SameDiff sd, Map<String, INDArray> placeholders, List<String> outputs,
                                               INDArray[] actual, String what) {
        Map<String, INDArray> expected = reference(sd, placeholders, outputs);
        assertEquals(outputs.size(), actual.length);
        for (int i = 0; i < actual.length; i++) {
            assertSame(expected.get(outputs.get(i)), actual[i], what + ", output " + outputs.get(i));
        }
    }

    // ---- graphs ----

    /** tanh(x W + b), reshaped to [-1, 4], summed per row and in total. Outputs: h, rows, total. */
    private static SameDiff mlp() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, IN);
        SDVariable w = sd.var("W", randn(1, IN, HIDDEN));
        SDVariable b = sd.var("b", randn(2, HIDDEN));
        SDVariable h = sd.math().tanh("h", x.mmul(w).add(b));
        SDVariable rows = h.reshape(-1, 4).sum("rows", 1);
        rows.mean("total");
        return sd;
    }

    private static final List<String> MLP_OUT = List.of("h", "rows", "total");

    /**
     * A while loop: (i, s, u, n) starts at (0, 0, 0.9 x, n) and runs {@code s = tanh((s + c)/2 + u); i++}
     * while i < n. u and n are loop variables passed through unchanged (M2.1: a body op whose inputs
     * are all outer values may produce nothing); c = -0.3 x is an outer value the body reads directly,
     * first thing (so a buffer freed after that read would be handed to the next body op).
     * u and c are computed before the loop (in pooled buffers when width x batch >= 1024), so their
     * buffers must outlive every iteration. Outputs: s and i after the loop, and s + u read from the
     * loop's exits.
     */
    private static Loop loop(long width) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, width);
        SDVariable n = sd.placeHolder("n", DataType.DOUBLE);
        SDVariable u = x.mul(0.9);
        SDVariable c = x.mul(-0.3);
        SDVariable s0 = sd.zerosLike(x);
        SDVariable i0 = sd.constant("i0", Nd4j.scalar(DataType.DOUBLE, 0.0));
        SDVariable[] out = sd.whileLoop(new SDVariable[] {i0, s0, u, n},
                (g, v) -> v[0].lt(v[3]),
                (g, v) -> new SDVariable[] {v[0].add(1.0), g.math().tanh(v[1].add(c).mul(0.5).add(v[2])), v[2], v[3]});
        SDVariable s = sd.identity("sOut", out[1]);
        SDVariable i = sd.identity("iOut", out[0]);
        SDVariable post = out[1].add("post", out[2]);
        return new Loop(sd, List.of(s.name(), i.name(), post.name()));
    }

    private record Loop(SameDiff sd, List<String> outputs) {
    }

    private static Map<String, INDArray> loopFeed(INDArray x, double n) {
        return Map.of("x", x, "n", Nd4j.scalar(DataType.DOUBLE, n));
    }

    // ---- tests ----

    /** Two runs with different inputs: each equals SameDiff exactly, nothing of the first leaks into the second. */
    @Test
    void mlpMatchesSameDiffExactlyOnSuccessiveRuns() {
        SameDiff sd = mlp();
        Map<String, INDArray> first = Map.of("x", randn(10, 6, IN));
        Map<String, INDArray> second = Map.of("x", randn(11, 6, IN));
        try (GraphProgram p = GraphProgram.compile(sd, MLP_OUT, first)) {
            assertEquals(MLP_OUT, p.outputs());
            INDArray[] r1 = p.run(first);
            assertMatchesReference(sd, first, MLP_OUT, r1, "first run");
            INDArray[] copies1 = new INDArray[r1.length];
            for (int i = 0; i < r1.length; i++) {
                copies1[i] = r1[i].dup();
            }

            INDArray[] r2 = p.run(second);
            assertMatchesReference(sd, second, MLP_OUT, r2, "second run");
            // the second results really differ from the first (the check above is not vacuous)
            for (int i = 0; i < r2.length; i++) {
                assertNotEquals(0.0, maxAbsDiff(copies1[i], r2[i]), "output " + MLP_OUT.get(i) + " did not change");
            }
            // the program's arrays are reused: the first run's results now show the second inputs
            Map<String, INDArray> expected2 = reference(sd, second, MLP_OUT);
            for (int i = 0; i < r1.length; i++) {
                assertSame(expected2.get(MLP_OUT.get(i)), r1[i], "first run's array after the second run");
            }

            Map<String, INDArray> byName = p.runToMap(first);
            for (int i = 0; i < MLP_OUT.size(); i++) {
                assertSame(copies1[i], byName.get(MLP_OUT.get(i)), "third run (first inputs again)");
            }
        }
    }

    /**
     * The gradient function of a graph with broadcast multiply, add and subtract and two ReLUs
     * (so the replacement kernels for multiply_bp, add_bp, subtract_bp and thresholdedrelu_bp run,
     * some reading placeholders, which change between runs), against SameDiff's own loss and
     * gradients, on several sets of inputs.
     */
    @Test
    void gradientFunctionMatchesSameDiff() {
        long n = 4;        // 4 x 2 x 4 x 64 = 2048 elements: large enough for pooled buffers
        long groups = 2;
        long c = 4;
        long hw = 64;
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, groups, c, hw);
        SDVariable s = sd.placeHolder("s", DataType.DOUBLE, -1, groups, c, 1);
        SDVariable g = sd.placeHolder("g", DataType.DOUBLE, -1, groups, c, hw);
        SDVariable gamma = sd.var("gamma", randn(3, 1, groups, c, 1));
        SDVariable beta = sd.var("beta", randn(4, c, 1));
        SDVariable mean = x.mean(true, 3);                        // [N,G,C,1]
        SDVariable centered = x.sub(mean);                         // subtract_bp, [N,G,C,HW] - [N,G,C,1]
        SDVariable modulated = centered.mul(mean.add(1.5));        // multiply_bp, [N,G,C,HW] * [N,G,C,1]
        SDVariable scaled = modulated.mul(gamma);                  // multiply_bp, [N,G,C,HW] * [1,G,C,1]
        SDVariable shifted = scaled.add(beta).add(x.mul(s));       // add_bp, [N,G,C,HW] + [C,1];
                                                                   // multiply_bp of two placeholders
        SDVariable y = sd.nn().relu(shifted, 0.0).add(sd.nn().relu(shifted, 0.3));
        SDVariable loss = sd.math().tanh(y).mul(g).sum("loss");
        sd.setLossVariables(loss);
        sd.createGradFunction("x", "s");

        SameDiff gradFn = sd.getFunction("grad");
        List<String> opNames = gradFn.getOps().values().stream().map(o -> o.getOp().opName()).toList();
        for (String bp : List.of("multiply_bp", "add_bp", "subtract_bp", "thresholdedrelu_bp")) {
            assertTrue(opNames.contains(bp), "the gradient graph should hold " + bp + ": " + opNames);
        }
        List<String> targets = List.of("x", "s", "gamma", "beta");
        List<String> outputs = new ArrayList<>(List.of("loss"));
        for (String t : targets) {
            outputs.add(sd.getVariable(t).getGradient().name());
        }

        List<Map<String, INDArray>> feeds = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            feeds.add(Map.of("x", randn(5 + 10 * k, n, groups, c, hw), "s", randn(6 + 10 * k, n, groups, c, 1),
                    "g", randn(7 + 10 * k, n, groups, c, hw)));
        }
        feeds.add(feeds.get(0));
        try (GraphProgram p = GraphProgram.compile(gradFn, outputs, feeds.get(0))) {
            for (Map<String, INDArray> feed : feeds) {
                INDArray[] r = p.run(feed);
                OutAndGrad expected = sd.calculateGradientsAndOutputs(feed, List.of("loss"), targets);
                assertRelClose(expected.getOutputs().get("loss"), r[0], 1e-12, "loss");
                for (int i = 0; i < targets.size(); i++) {
                    assertRelClose(expected.getGradients().get(targets.get(i)), r[i + 1], 1e-12,
                            "gradient of " + targets.get(i));
                }
            }
        }
    }

    /** Twenty elementwise ops in a chain need two buffers in turn (plus the output), not twenty. */
    @Test
    void chainSharesBuffers() {
        long rows = 64;
        long cols = 256;
        SameDiff sd = SameDiff.create();
        SDVariable v = sd.placeHolder("x", DataType.FLOAT, rows, cols);
        for (int i = 0; i < 20; i++) {
            v = switch (i % 4) {
                case 0 -> sd.math().tanh(v);
                case 1 -> v.mul(1.1);
                case 2 -> v.add(0.05);
                default -> sd.nn().sigmoid(v);
            };
        }
        String out = v.name();
        long arrayBytes = rows * cols * DataType.FLOAT.width();
        Map<String, INDArray> feed1 = Map.of("x", randn(1, rows, cols).castTo(DataType.FLOAT));
        Map<String, INDArray> feed2 = Map.of("x", randn(2, rows, cols).castTo(DataType.FLOAT));
        try (GraphProgram p = GraphProgram.compile(sd, List.of(out), feed1)) {
            assertTrue(p.bufferBytes() <= 4 * arrayBytes,
                    "buffers " + p.bufferBytes() + " bytes for 20 ops on " + arrayBytes + "-byte arrays");
            assertMatchesReference(sd, feed1, List.of(out), p.run(feed1), "first inputs");
            assertMatchesReference(sd, feed2, List.of(out), p.run(feed2), "second inputs");
        }
    }

    /** A while loop runs exactly as SameDiff's, with memory that does not grow with the iterations. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a loop that never ends fails
    void whileLoopMatchesSameDiffWithFlatMemory() {
        Loop loop = loop(128);
        INDArray x = randn(3, 16, 128);
        Map<String, INDArray> two = loopFeed(x, 2);
        Map<String, INDArray> twenty = loopFeed(x, 20);
        try (GraphProgram p2 = GraphProgram.compile(loop.sd(), loop.outputs(), two);
             GraphProgram p20 = GraphProgram.compile(loop.sd(), loop.outputs(), twenty)) {
            assertMatchesReference(loop.sd(), two, loop.outputs(), p2.run(two), "N = 2");
            assertMatchesReference(loop.sd(), twenty, loop.outputs(), p20.run(twenty), "N = 20");
            assertEquals(p2.bufferBytes(), p20.bufferBytes(), "buffer bytes for N = 2 and N = 20");

            // the program traced with N = 2 runs N = 20 (same signature) in the same buffers
            long before = p2.bufferBytes();
            INDArray[] r = p2.run(twenty);
            assertMatchesReference(loop.sd(), twenty, loop.outputs(), r, "N = 20 on the N = 2 program");
            assertEquals(20.0, r[1].getDouble(0), "iterations");
            assertEquals(before, p2.bufferBytes());
            INDArray x2 = randn(4, 16, 128);
            assertMatchesReference(loop.sd(), loopFeed(x2, 5), loop.outputs(), p2.run(loopFeed(x2, 5)),
                    "N = 5, other x");
        }
    }

    /**
     * A loop whose body did not run at compile time (N = 0) has no planned body buffers: the program
     * refuses to run it, the runner recompiles.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a loop that never ends fails
    void loopBodyUnseenAtCompileTimeIsRetraced() {
        Loop loop = loop(8);
        INDArray x = randn(5, 3, 8);
        Map<String, INDArray> zero = loopFeed(x, 0);
        Map<String, INDArray> three = loopFeed(x, 3);
        try (GraphProgram p = GraphProgram.compile(loop.sd(), loop.outputs(), zero)) {
            assertMatchesReference(loop.sd(), zero, loop.outputs(), p.run(zero), "N = 0");
            assertTrue(p.accepts(three));
            assertThrows(RetraceException.class, () -> p.run(three));
        }
        try (GraphRunner runner = new GraphRunner(loop.sd(), loop.outputs())) {
            assertMatchesReference(loop.sd(), zero, loop.outputs(), runner.run(zero), "runner, N = 0");
            assertMatchesReference(loop.sd(), three, loop.outputs(), runner.run(three), "runner, N = 3 (retraced)");
            assertMatchesReference(loop.sd(), zero, loop.outputs(), runner.run(zero), "runner, N = 0 again");
            assertMatchesReference(loop.sd(), loopFeed(x, 7), loop.outputs(), runner.run(loopFeed(x, 7)),
                    "runner, N = 7");
        }
    }

    /**
     * Loop variables whose next value is another one's current value: b keeps the previous a
     * (b' = a, a' = tanh(a/2 + x)), and c, d swap. Each must read the value from before the
     * iteration, not one already advanced.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a loop that never ends fails
    void loopVariablesTakingEachOthersValues() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 128);
        SDVariable n = sd.placeHolder("n", DataType.DOUBLE);
        SDVariable i0 = sd.constant("i0", Nd4j.scalar(DataType.DOUBLE, 0.0));
        SDVariable[] init = {i0, x.mul(0.5), sd.zerosLike(x), x.mul(2.0), x.mul(-3.0), x, n};
        SDVariable[] out = sd.whileLoop(init,
                (g, v) -> v[0].lt(v[6]),
                (g, v) -> new SDVariable[] {v[0].add(1.0), g.math().tanh(v[1].mul(0.5).add(v[5])), v[1],
                    v[4], v[3], v[5], v[6]});
        List<String> outputs = List.of(sd.identity("a", out[1]).name(), sd.identity("b", out[2]).name(),
                sd.identity("c", out[3]).name(), sd.identity("d", out[4]).name());
        INDArray xv = randn(9, 16, 128);
        Map<String, INDArray> three = loopFeed(xv, 3);
        Map<String, INDArray> twenty = loopFeed(xv, 20);
        try (GraphProgram p = GraphProgram.compile(sd, outputs, three)) {
            long bytes = p.bufferBytes();
            assertMatchesReference(sd, three, outputs, p.run(three), "N = 3");
            assertMatchesReference(sd, twenty, outputs, p.run(twenty), "N = 20");
            assertEquals(bytes, p.bufferBytes());
        }
    }

    /**
     * The condition may read an outer value directly (SameDiff builds it before wrapping outer
     * values), and a second loop may consume the first one's result.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a loop that never ends fails
    void conditionOnOuterValueAndLoopsInSequence() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 64);
        SDVariable n = sd.placeHolder("n", DataType.DOUBLE);
        SDVariable[] first = sd.whileLoop(new SDVariable[] {sd.constant(Nd4j.scalar(DataType.DOUBLE, 0.0)),
                    sd.zerosLike(x), x},
                (g, v) -> v[0].lt(n),
                (g, v) -> new SDVariable[] {v[0].add(1.0), g.math().tanh(v[1].mul(0.5).add(v[2])), v[2]});
        SDVariable[] second = sd.whileLoop(new SDVariable[] {sd.constant(Nd4j.scalar(DataType.DOUBLE, 0.0)),
                    first[1].mul(2.0), x, n},
                (g, v) -> v[0].lt(v[3]),
                (g, v) -> new SDVariable[] {v[0].add(1.0), g.math().sin(v[1].mul(0.7).sub(v[2])), v[2], v[3]});
        List<String> outputs = List.of(second[1].add("r", first[1]).name(), sd.identity("k", first[0]).name());
        Map<String, INDArray> feed = loopFeed(randn(12, 32, 64), 4);
        try (GraphProgram p = GraphProgram.compile(sd, outputs, feed)) {
            assertMatchesReference(sd, feed, outputs, p.run(feed), "N = 4");
            Map<String, INDArray> other = loopFeed(randn(13, 32, 64), 6);
            assertMatchesReference(sd, other, outputs, p.run(other), "N = 6, other x");
        }
    }

    @Test
    void programAcceptsOnlyItsSignature() {
        SameDiff sd = mlp();
        Map<String, INDArray> feed = Map.of("x", randn(1, 3, IN));
        try (GraphProgram p = GraphProgram.compile(sd, MLP_OUT, feed)) {
            assertTrue(p.accepts(Map.of("x", randn(2, 3, IN))));
            assertFalse(p.accepts(Map.of("x", randn(2, 5, IN))), "another batch size");
            assertFalse(p.accepts(Map.of("x", randn(2, 3, IN).castTo(DataType.FLOAT))), "another data type");
            assertFalse(p.accepts(Map.of("x", randn(2, 3, IN).dup('f'))), "another order");
            assertFalse(p.accepts(Map.of()), "no placeholder");
            assertThrows(IllegalArgumentException.class, () -> p.run(Map.of("x", randn(2, 5, IN))));
            assertThrows(IllegalArgumentException.class, () -> p.run(Map.of()));
        }
    }

    /** Four batch sizes through a runner keeping three programs: the first is evicted, then recompiled. */
    @Test
    void runnerHandlesBatchSizesBeyondItsCapacity() {
        SameDiff sd = mlp();
        int[] batches = {2, 3, 4, 5, 2, 5, 3};
        try (GraphRunner runner = new GraphRunner(sd, MLP_OUT)) {
            for (int k = 0; k < batches.length; k++) {
                Map<String, INDArray> feed = Map.of("x", randn(100 + k, batches[k], IN));
                assertMatchesReference(sd, feed, MLP_OUT, runner.run(feed), "batch " + batches[k] + " (run " + k + ")");
            }
            // it holds exactly the programs of the last three batch sizes (5, 2, 3 before; 2, 5, 3 now)
            long expected = 0;
            for (int b : new int[] {2, 5, 3}) {
                try (GraphProgram p = GraphProgram.compile(sd, MLP_OUT, Map.of("x", randn(1, b, IN)))) {
                    expected += p.bufferBytes();
                }
            }
            assertEquals(3, GraphRunner.CAPACITY);
            assertEquals(expected, runner.bufferBytes(), "bytes of the three most recent programs");
        }
    }

    /** A random op is refused at compilation, by the program and through the runner. */
    @Test
    void randomOpIsUnsupported() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 3);
        SDVariable noise = sd.random().normal(0.0, 1.0, DataType.DOUBLE, 2, 3);
        x.add("out", noise);
        Map<String, INDArray> feed = Map.of("x", randn(1, 2, 3));
        assertThrows(UnsupportedGraphException.class, () -> GraphProgram.compile(sd, List.of("out"), feed));
        try (GraphRunner runner = new GraphRunner(sd, List.of("out"))) {
            assertThrows(UnsupportedGraphException.class, () -> runner.run(feed));
            assertEquals(0, runner.bufferBytes());
        }
    }

    /** An unknown output, no output or a missing placeholder is a caller error, not an unsupported graph. */
    @Test
    void badRequestsAreIllegalArguments() {
        SameDiff sd = mlp();
        Map<String, INDArray> feed = Map.of("x", randn(1, 3, IN));
        assertThrows(IllegalArgumentException.class, () -> GraphProgram.compile(sd, List.of("nope"), feed));
        assertThrows(IllegalArgumentException.class, () -> GraphProgram.compile(sd, List.of(), feed));
        assertThrows(IllegalArgumentException.class, () -> GraphProgram.compile(sd, MLP_OUT, Map.of()));
    }

    @Test
    void closedProgramRefusesToRun() {
        SameDiff sd = mlp();
        Map<String, INDArray> feed = Map.of("x", randn(1, 3, IN));
        GraphProgram p = GraphProgram.compile(sd, MLP_OUT, feed);
        p.run(feed);
        p.close();
        assertThrows(IllegalStateException.class, () -> p.run(feed));
        p.close(); // closing twice is harmless

        // a closed runner compiles again on its next run
        GraphRunner runner = new GraphRunner(sd, MLP_OUT);
        runner.run(feed);
        assertTrue(runner.bufferBytes() > 0);
        runner.close();
        assertEquals(0, runner.bufferBytes());
        assertMatchesReference(sd, feed, MLP_OUT, runner.run(feed), "after the runner's close");
        runner.close();
    }

    /** Counts op executions by op name. */
    private static final class Counter extends BaseListener {
        final Map<String, Integer> counts = new TreeMap<>();

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx,
                                INDArray[] outputs) {
            counts.merge(op.getOp().opName(), 1, Integer::sum);
        }
    }

    /** Listeners hear every executed op, as with SameDiff's executor, and nothing when not passed. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a loop that never ends fails
    void listenersHearEveryExecutedOp() {
        SameDiff sd = mlp();
        Map<String, INDArray> feed = Map.of("x", randn(1, 3, IN));
        Counter sameDiff = new Counter();
        sd.output(feed, List.<Listener>of(sameDiff), MLP_OUT.toArray(new String[0]));
        Counter program = new Counter();
        try (GraphProgram p = GraphProgram.compile(sd, MLP_OUT, feed)) {
            p.run(feed);
            assertEquals(Map.of(), program.counts, "no listener passed");
            p.run(feed, List.of(program), Operation.INFERENCE);
            assertEquals(1, program.counts.get("tanh"));
            // no aliases in this graph: the same ops as SameDiff executes
            assertEquals(sameDiff.counts, program.counts);
            int ops = 0;
            for (SameDiffOp o : sd.getOps().values()) {
                ops++;
                assertTrue(program.counts.containsKey(o.getOp().opName()), o.getOp().opName() + " not reported");
            }
            assertEquals(ops, program.counts.values().stream().mapToInt(Integer::intValue).sum());
            p.run(feed);
            assertEquals(1, program.counts.get("tanh"), "a run without listeners reported to one");
        }

        // in a loop: the body's ops once per iteration, control flow not at all
        Loop loop = loop(8);
        Map<String, INDArray> loopFeed = loopFeed(randn(2, 3, 8), 6);
        Counter inLoop = new Counter();
        try (GraphProgram p = GraphProgram.compile(loop.sd(), loop.outputs(), loopFeed)) {
            p.run(loopFeed, List.of(inLoop), Operation.INFERENCE);
        }
        assertEquals(6, inLoop.counts.get("tanh"));
        assertEquals(7, inLoop.counts.get("less"), "condition evaluations");
        for (String alias : List.of("enter", "exit", "merge", "switch", "next_iteration", "identity")) {
            assertFalse(inLoop.counts.containsKey(alias), alias + " is an alias, not an execution: " + inLoop.counts);
        }
    }

    /** Variables are read at each run: a parameter updated in place or set anew is seen by the next run. */
    @Test
    void parameterUpdatesAreSeen() {
        SameDiff sd = mlp();
        Map<String, INDArray> feed = Map.of("x", randn(1, 3, IN));
        try (GraphProgram p = GraphProgram.compile(sd, MLP_OUT, feed)) {
            p.run(feed);
            sd.getArrForVarName("W").muli(0.5);
            assertMatchesReference(sd, feed, MLP_OUT, p.run(feed), "after updating W in place");
            sd.getVariable("b").setArray(randn(3, HIDDEN));
            assertMatchesReference(sd, feed, MLP_OUT, p.run(feed), "after setting b");
        }
    }
}
