package org.deq4j.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
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
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link PlannedSessions}: a registered graph run through SameDiff's own entry points ({@code output},
 * {@code calculateGradients}) against an identical graph that is not registered.
 *
 * <p>Which executor ran is observed through a listener: SameDiff's interpreter reports every op it
 * executes, aliases ({@code identity}, a loop's {@code enter}, {@code merge}, ...) included, while the
 * planned executor resolves aliases at compilation and never reports them. So a registered graph
 * whose listener hears no {@code identity} ran with the planned executor, and one that hears it fell
 * back to the interpreter.
 */
class PlannedSessionsTest {
    private static final int IN = 4;
    private static final int HIDDEN = 8;
    private static final List<String> OUT = List.of("h", "loss");

    private static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE);
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertNotNull(actual, what + ": missing");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertEquals(expected.dataType(), actual.dataType(), what + ": data type");
        double err = expected.sub(actual).amaxNumber().doubleValue();
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-300);
        assertTrue(err <= 1e-12 * scale, what + ": max abs difference " + err + " > 1e-12 x " + scale);
    }

    private static void assertAllClose(Map<String, INDArray> expected, Map<String, INDArray> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": names");
        expected.forEach((k, v) -> assertClose(v, actual.get(k), what + ", " + k));
    }

    /** Copies (a session may reuse its arrays), sorted by name. */
    private static Map<String, INDArray> copy(Map<String, INDArray> m) {
        Map<String, INDArray> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    private static Map<String, INDArray> output(SameDiff sd, Map<String, INDArray> feed, List<String> outputs,
                                                Listener listener) {
        return copy(sd.output(feed, List.of(listener), outputs.toArray(new String[0])));
    }

    private static boolean allPlanned(Collection<InferenceSession> sessions) {
        return !sessions.isEmpty() && sessions.stream().allMatch(s -> s instanceof PlannedSessions.PlannedSession);
    }

    private static boolean nonePlanned(Collection<InferenceSession> sessions) {
        return !sessions.isEmpty() && sessions.stream().noneMatch(s -> s instanceof PlannedSessions.PlannedSession);
    }

    /** Op names the executor reported. */
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

        boolean heard(String op) {
            return counts.containsKey(op);
        }
    }

    // ---- graphs ----

    /**
     * h = tanh(x W + b), then an identity (an alias for the planned executor, an op for SameDiff's
     * interpreter) and loss = sum(0.5 h^2 + h). Same seeds, so two calls build identical graphs.
     */
    private static SameDiff mlp() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, IN);
        SDVariable w = sd.var("W", randn(1, IN, HIDDEN));
        SDVariable b = sd.var("b", randn(2, HIDDEN));
        SDVariable h = sd.math().tanh("h", x.mmul(w).add(b));
        SDVariable alias = sd.identity("hId", h);
        SDVariable loss = alias.mul(alias).mul(0.5).add(alias).sum("loss");
        sd.setLossVariables(loss);
        return sd;
    }

    /** {@link #mlp()} with an {@code Assign} op (refused by {@code ProgramCompiler}) feeding "out". */
    private static SameDiff withAssign() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, IN);
        SDVariable w = sd.var("W", randn(1, IN, HIDDEN));
        SDVariable b = sd.var("b", randn(2, HIDDEN));
        SDVariable h = sd.math().tanh("h", x.mmul(w).add(b));
        SDVariable alias = sd.identity("hId", h);
        SDVariable assigned = sd.assign("assigned", sd.zerosLike(alias), alias);
        assigned.mul(2.0).add("out", x.sum(true, 1));
        return sd;
    }

    /** A while loop: s = tanh((s + c)/2 + u) n times, with u = 0.9 x and c = -0.3 x (see GraphProgramTest). */
    private static SameDiff loop(long width) {
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
        sd.identity("sOut", out[1]);
        sd.identity("iOut", out[0]);
        out[1].add("post", out[2]);
        return sd;
    }

    private static final List<String> LOOP_OUT = List.of("sOut", "iOut", "post");

    // ---- tests ----

    /**
     * Outputs and gradients of a registered graph equal those of an identical unregistered one; the
     * registered graph and its gradient function run in planned sessions (no alias reported), the
     * unregistered one in SameDiff's own.
     */
    @Test
    void registeredGraphMatchesUnregisteredOutputsAndGradients() {
        SameDiff planned = mlp();
        SameDiff reference = mlp();
        PlannedSessions.register(planned);
        assertTrue(PlannedSessions.isRegistered(planned));
        assertFalse(PlannedSessions.isRegistered(reference));

        for (long seed : new long[] {10, 11}) {
            Map<String, INDArray> feed = Map.of("x", randn(seed, 5, IN));
            Counter plannedOps = new Counter();
            Counter referenceOps = new Counter();
            Map<String, INDArray> expected = output(reference, feed, OUT, referenceOps);
            Map<String, INDArray> actual = output(planned, feed, OUT, plannedOps);
            assertAllClose(expected, actual, "output, x seed " + seed);
            assertTrue(referenceOps.heard("identity"), "SameDiff's interpreter reports identity: " + referenceOps.counts);
            assertFalse(plannedOps.heard("identity"), "the planned executor ran: " + plannedOps.counts);
            assertTrue(plannedOps.heard("tanh"), plannedOps.counts.toString());
        }
        assertTrue(allPlanned(planned.getSessions().values()), planned.getSessions().toString());
        assertTrue(nonePlanned(reference.getSessions().values()), reference.getSessions().toString());

        // the arrays returned are the caller's: the next call does not overwrite them
        Map<String, INDArray> feed1 = Map.of("x", randn(12, 5, IN));
        Map<String, INDArray> first = planned.output(feed1, OUT.toArray(new String[0]));
        Map<String, INDArray> firstCopy = copy(first);
        planned.output(Map.of("x", randn(13, 5, IN)), OUT.toArray(new String[0]));
        assertAllClose(firstCopy, copy(first), "first results after a second call");
        assertAllClose(output(reference, feed1, OUT, new Counter()), firstCopy, "first results");

        // a placeholder of another type is cast to the declared one, as SameDiff does
        Map<String, INDArray> floats = Map.of("x", randn(14, 5, IN).castTo(DataType.FLOAT));
        assertAllClose(output(reference, floats, OUT, new Counter()), output(planned, floats, OUT, new Counter()),
                "float32 placeholder");

        Counter plannedGrad = new Counter();
        Counter referenceGrad = new Counter();
        planned.addListeners(plannedGrad);
        reference.addListeners(referenceGrad);
        for (long seed : new long[] {20, 21}) {
            Map<String, INDArray> feed = Map.of("x", randn(seed, 5, IN));
            Map<String, INDArray> expected = copy(reference.calculateGradients(feed, "W", "b"));
            Map<String, INDArray> actual = copy(planned.calculateGradients(feed, "W", "b"));
            assertEquals(2, expected.size());
            assertAllClose(expected, actual, "gradients, x seed " + seed);
        }
        assertTrue(referenceGrad.heard("identity"), referenceGrad.counts.toString());
        assertFalse(plannedGrad.heard("identity"), "the planned executor ran the gradient function: "
                + plannedGrad.counts);
        assertTrue(plannedGrad.heard("tanh_bp"), plannedGrad.counts.toString());

        SameDiff plannedFn = planned.getFunction("grad");
        SameDiff referenceFn = reference.getFunction("grad");
        assertTrue(PlannedSessions.isRegistered(plannedFn));
        assertFalse(PlannedSessions.isRegistered(referenceFn));
        assertTrue(allPlanned(plannedFn.getSessions().values()), plannedFn.getSessions().toString());
        assertTrue(nonePlanned(referenceFn.getSessions().values()), referenceFn.getSessions().toString());
    }

    /** Registering a graph (and, through it, its gradient function) that already has sessions takes effect on the next call. */
    @Test
    void registrationAfterUseTakesEffectOnTheNextCall() {
        SameDiff graph = mlp();
        SameDiff reference = mlp();
        Map<String, INDArray> feed1 = Map.of("x", randn(30, 3, IN));
        Map<String, INDArray> feed2 = Map.of("x", randn(31, 3, IN));

        Counter before = new Counter();
        Map<String, INDArray> out1 = output(graph, feed1, OUT, before);
        Map<String, INDArray> grad1 = copy(graph.calculateGradients(feed1, "W", "b"));
        assertTrue(before.heard("identity"), "not registered yet: SameDiff's interpreter: " + before.counts);
        assertTrue(nonePlanned(graph.getSessions().values()), graph.getSessions().toString());
        assertTrue(nonePlanned(graph.getFunction("grad").getSessions().values()));
        assertAllClose(output(reference, feed1, OUT, new Counter()), out1, "before registering");
        assertAllClose(copy(reference.calculateGradients(feed1, "W", "b")), grad1, "gradients before registering");

        PlannedSessions.register(graph);
        PlannedSessions.register(graph); // idempotent
        Counter after = new Counter();
        Map<String, INDArray> out2 = output(graph, feed2, OUT, after);
        assertFalse(after.heard("identity"), "registered: the planned executor ran: " + after.counts);
        assertTrue(allPlanned(graph.getSessions().values()), graph.getSessions().toString());
        assertAllClose(output(reference, feed2, OUT, new Counter()), out2, "after registering");

        Counter gradAfter = new Counter();
        graph.addListeners(gradAfter);
        Map<String, INDArray> grad2 = copy(graph.calculateGradients(feed2, "W", "b"));
        assertFalse(gradAfter.heard("identity"), "the gradient function ran planned: " + gradAfter.counts);
        assertTrue(allPlanned(graph.getFunction("grad").getSessions().values()),
                graph.getFunction("grad").getSessions().toString());
        assertAllClose(copy(reference.calculateGradients(feed2, "W", "b")), grad2, "gradients after registering");
    }

    /**
     * A registered graph holding an op the planned executor refuses (Assign) still runs, in its
     * planned session, through SameDiff's interpreter, with SameDiff's results, call after call.
     */
    @Test
    void unsupportedGraphFallsBackToSameDiffsInterpreter() {
        SameDiff planned = withAssign();
        SameDiff reference = withAssign();
        List<String> outputs = List.of("h", "out");
        Map<String, INDArray> feed1 = Map.of("x", randn(40, 6, IN));
        // the executor really cannot run this graph
        assertThrows(UnsupportedGraphException.class, () -> GraphProgram.compile(reference, outputs, feed1));

        PlannedSessions.register(planned);
        for (long seed : new long[] {40, 41, 42}) {
            Map<String, INDArray> feed = Map.of("x", randn(seed, 6, IN));
            Counter plannedOps = new Counter();
            Map<String, INDArray> expected = output(reference, feed, outputs, new Counter());
            Map<String, INDArray> actual = output(planned, feed, outputs, plannedOps);
            assertAllClose(expected, actual, "x seed " + seed);
            assertTrue(plannedOps.heard("identity") && plannedOps.heard("assign"),
                    "SameDiff's interpreter ran: " + plannedOps.counts);
        }
        // "out" = 2 h + rowsum(x): the assign copied h's values, not zeros
        INDArray x = feed1.get("x");
        Map<String, INDArray> r = output(planned, feed1, outputs, new Counter());
        assertClose(r.get("h").mul(2.0).addColumnVector(x.sum(true, 1)), r.get("out"), "out from h");
        assertTrue(allPlanned(planned.getSessions().values()), planned.getSessions().toString());
    }

    /**
     * A request needing a random op falls back as a whole: the deterministic output equals
     * SameDiff's, the random one is x plus fresh standard normal noise.
     */
    @Test
    void randomOpFallsBackWithCorrectValues() {
        SameDiff planned = mlp();
        SameDiff reference = mlp();
        for (SameDiff sd : List.of(planned, reference)) {
            SDVariable x = sd.getVariable("x");
            x.add("noisy", sd.random().normal(0.0, 1.0, DataType.DOUBLE, 64, IN));
        }
        PlannedSessions.register(planned);
        List<String> outputs = List.of("h", "loss", "noisy");
        Map<String, INDArray> feed = Map.of("x", randn(50, 64, IN));
        Counter plannedOps = new Counter();
        Map<String, INDArray> actual = output(planned, feed, outputs, plannedOps);
        Map<String, INDArray> again = output(planned, feed, outputs, new Counter());
        Map<String, INDArray> expected = output(reference, feed, List.of("h", "loss"), new Counter());
        assertClose(expected.get("h"), actual.get("h"), "h");
        assertClose(expected.get("loss"), actual.get("loss"), "loss");
        assertTrue(plannedOps.heard("identity") && plannedOps.heard("distribution_gaussian"), plannedOps.counts.toString());

        INDArray noise = actual.get("noisy").sub(feed.get("x"));
        assertArrayEquals(new long[] {64, IN}, noise.shape());
        assertTrue(Double.isFinite(noise.sumNumber().doubleValue()) && Double.isFinite(noise.amaxNumber().doubleValue()),
                "finite noise");
        double mean = noise.meanNumber().doubleValue();
        double std = noise.stdNumber().doubleValue();
        assertTrue(Math.abs(mean) < 0.4 && std > 0.7 && std < 1.3, "standard normal noise: mean " + mean + ", std " + std);
        assertTrue(actual.get("noisy").sub(again.get("noisy")).amaxNumber().doubleValue() > 0,
                "a fresh sample on every call");
        assertClose(actual.get("h"), again.get("h"), "h on the second call");
        assertTrue(allPlanned(planned.getSessions().values()), planned.getSessions().toString());
    }

    /** A registered graph with a while loop gives SameDiff's own results, run by the planned executor. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a loop that never ends fails
    void whileLoopGraphMatchesSameDiff() {
        SameDiff planned = loop(64);
        SameDiff reference = loop(64);
        PlannedSessions.register(planned);
        INDArray x = randn(60, 8, 64);
        for (double n : new double[] {3, 10, 0, 5}) {
            Map<String, INDArray> feed = Map.of("x", x.mul(n + 1), "n", Nd4j.scalar(DataType.DOUBLE, n));
            Counter plannedOps = new Counter();
            Counter referenceOps = new Counter();
            Map<String, INDArray> expected = output(reference, feed, LOOP_OUT, referenceOps);
            Map<String, INDArray> actual = output(planned, feed, LOOP_OUT, plannedOps);
            assertAllClose(expected, actual, "N = " + n);
            assertEquals(n, actual.get("iOut").getDouble(0), "iterations");
            assertTrue(referenceOps.heard("enter") && referenceOps.heard("merge"), referenceOps.counts.toString());
            assertFalse(plannedOps.heard("enter") || plannedOps.heard("merge") || plannedOps.heard("identity"),
                    "the planned executor ran the loop: " + plannedOps.counts);
            assertEquals((int) n, plannedOps.counts.getOrDefault("tanh", 0), "body runs");
        }
        assertTrue(allPlanned(planned.getSessions().values()), planned.getSessions().toString());
    }
}
