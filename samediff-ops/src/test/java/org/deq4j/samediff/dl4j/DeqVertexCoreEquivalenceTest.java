package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.state.State;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The vertex against the core engine run directly on core's hand-written {@link TanhMlpCell} (an
 * implementation independent of the graph cell and its SameDiff VJP) with the vertex's parameter
 * values: same fixed point, same parameter and input gradients to 1e-10, for every strategy, through
 * the network's own backpropagation with workspaces. Also checks that the cell reads the network's
 * parameter vector live.
 */
class DeqVertexCoreEquivalenceTest {
    private static final double TOL = 1e-10;
    private static final int BATCH = 5;

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    /** in -> deq, the vertex being the network output, so backprop starts from an external epsilon. */
    private static ComputationGraph vertexNet(DeqConfig config) {
        return DeqNets.net(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).updater(new Sgd(0.1))
                .graphBuilder().addInputs("in").addVertex("deq", DeqNets.vertex(config), "in").setOutputs("deq")
                .build());
    }

    /** Core's reference cell over copies of the vertex's current parameter values. */
    private static TanhMlpCell reference(ComputationGraph net) {
        Map<String, INDArray> p = net.getVertex("deq").paramTable(false);
        return new TanhMlpCell(p.get("W").dup(), p.get("U").dup(), p.get("b").dup());
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double err = expected.sub(actual.reshape(expected.shape())).amaxNumber().doubleValue();
        assertTrue(err <= TOL, what + ": max abs difference " + err);
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void gradientsEqualCoreEngine(Strategy strategy) {
        ComputationGraph net = vertexNet(strategy.config());
        INDArray x = DeqNets.features(11, BATCH).getColumns(0, 1, 2, 3, 0).dup();
        INDArray eps = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(12), new long[] {BATCH, DeqNets.STATE})
                .castTo(DataType.DOUBLE);

        DeqSolution core = Deq.of(strategy.config()).solve(reference(net), x);
        DeqGradients expected = core.backward(State.of(eps));

        net.feedForward(new INDArray[] {x}, true, false);
        Gradient g = net.backpropGradient(eps);
        assertClose(core.z().part(0), net.outputSingle(x), strategy + " z*");
        assertClose(expected.gParams().get(0), g.getGradientFor("deq_W"), strategy + " dL/dW");
        assertClose(expected.gParams().get(1), g.getGradientFor("deq_U"), strategy + " dL/dU");
        assertClose(expected.gParams().get(2), g.getGradientFor("deq_b"), strategy + " dL/db");

        DeqGraphVertex v = (DeqGraphVertex) net.getVertex("deq");
        v.setInputs(new INDArray[] {x});
        v.setEpsilon(eps);
        v.doForward(true, LayerWorkspaceMgr.noWorkspaces());
        Pair<Gradient, INDArray[]> direct = v.doBackward(false, LayerWorkspaceMgr.noWorkspaces());
        assertClose(expected.gx().part(0), direct.getSecond()[0], strategy + " dL/dx");
        assertEquals(core.stats().cellEvaluations(), v.lastForwardStats().orElseThrow().cellEvaluations());
        assertEquals(expected.stats().cellEvaluations(), v.lastBackwardStats().orElseThrow().cellEvaluations());
    }

    @Test
    void trainingSolveIsKeptUntilBackwardAndInferenceKeepsNone() {
        ComputationGraph net = vertexNet(Strategy.UNROLLED.config());
        DeqGraphVertex v = (DeqGraphVertex) net.getVertex("deq");
        INDArray x = DeqNets.features(15, BATCH).getColumns(0, 1, 2, 3, 2).dup();
        net.outputSingle(x);
        assertTrue(!v.holdsSolution(), "inference keeps no solution (nor its trajectory)");
        assertEquals(1, v.forwardCount());
        INDArray eps = Nd4j.onesLike(net.outputSingle(x));
        net.feedForward(new INDArray[] {x}, true, false);
        assertTrue(v.holdsSolution(), "a training forward keeps its solution for the backward pass");
        net.backpropGradient(eps);
        assertEquals(3, v.forwardCount(), "backward reused the training solve");
        assertEquals(1, v.backwardCount());
        assertTrue(!v.holdsSolution(), "backward released the solution");
    }

    @Test
    void cellReadsTheNetworkParametersLive() {
        DeqConfig config = Strategy.REVERSIBLE.config();
        ComputationGraph net = vertexNet(config);
        INDArray x = DeqNets.features(13, BATCH).getColumns(0, 1, 2, 3, 1).dup();
        INDArray before = net.outputSingle(x).dup();

        net.params().muli(1.5);  // in place, as GradientCheckUtil perturbs parameters
        INDArray scaled = net.outputSingle(x);
        assertNotEquals(before, scaled);
        assertClose(Deq.of(config).solve(reference(net), x).z().part(0), scaled, "after in-place scaling");

        net.setParams(net.params().mul(0.5));  // assigned into the same vector
        assertClose(Deq.of(config).solve(reference(net), x).z().part(0), net.outputSingle(x), "after setParams");
    }

    @Test
    void fitUpdatesAreSeenByTheCell() {
        DeqConfig config = Strategy.UNROLLED.config();
        ComputationGraph net = DeqNets.net(DeqNets.conf(DeqNets.vertex(config), new Sgd(0.5)));
        INDArray x = DeqNets.features(14, 8);
        INDArray w = net.getVertex("deq").paramTable(false).get("W").dup();
        net.fit(new DataSet(x, DeqNets.labels(x)));
        INDArray wView = net.getVertex("deq").paramTable(false).get("W");
        assertNotEquals(w, wView, "fit changed the vertex's weights");
        // The dense layer's activations are the vertex's input; the vertex output must be the fixed point
        // of the cell with the updated weights.
        Map<String, INDArray> acts = net.feedForward(x, false);
        INDArray expected = Deq.of(config).solve(reference(net), acts.get("dense")).z().part(0);
        assertClose(expected, acts.get("deq"), "fixed point after fit");
    }
}
