package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.cell.LockedDropoutCell;
import org.deq4j.core.check.GradientComparison;
import org.deq4j.core.state.State;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Locked dropout in a DEQ vertex, float64: a training step's gradients are those of the mask its forward
 * drew (so a backward that drew another mask fails here), for both executions; evaluation is
 * dropout-free and deterministic; the setting survives JSON and old JSON reads as "off".
 */
@ExtendWith(DoublePrecision.class)
class DeqVertexDropoutTest {
    private static final double RATE = 0.4;

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    private static DeqGraphVertex vertex(DeqExecution execution, DeqConfig config, double rate) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .updater(new NoOp()).graphBuilder().addInputs("in")
                .addVertex("deq", DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2))
                        .deq(config).seed(3).execution(execution).dropout(rate).build(), "in")
                .setOutputs("deq").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        net.initGradientsView();
        return (DeqGraphVertex) net.getVertex("deq");
    }

    private static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), shape).castTo(DataType.DOUBLE);
    }

    /**
     * One training step of the vertex against the core engine's gradient of the same cell under the
     * mask the step's forward drew: equal only if the backward used that very mask.
     */
    @Test
    void aTrainingStepDifferentiatesTheMaskItsForwardDrew() {
        INDArray x = randn(1, 4, DeqNets.HIDDEN);
        INDArray gz = randn(2, 4, DeqNets.STATE);
        for (Strategy s : List.of(Strategy.REVERSIBLE, Strategy.UNROLLED)) {
            DeqGraphVertex v = vertex(DeqExecution.AUTO, s.config(), RATE);
            v.setInputs(new INDArray[] {x});
            Nd4j.getRandom().setSeed(5);
            INDArray z = v.doForward(true, LayerWorkspaceMgr.noWorkspaces()).dup();
            INDArray mask = v.lastDropoutMask().orElseThrow().dup();
            assertArrayEquals(new long[] {4, DeqNets.STATE}, mask.shape());
            assertTrue(mask.eq(0.0).any(), "some entries dropped: " + mask);
            // the RNG moves on before the backward: a backward drawing its own mask would get another one
            Nd4j.getRandom().setSeed(6);
            v.setEpsilon(gz);
            Pair<Gradient, INDArray[]> back = v.doBackward(false, LayerWorkspaceMgr.noWorkspaces());

            List<INDArray> params = v.deqVertex().cell().parameters().stream()
                    .map(p -> v.paramTable(false).get(DeqSettings.key(p.name()))).toList();
            var cell = new LockedDropoutCell(GraphCellAdapter.toCell(v.deqVertex().cell(), new long[] {DeqNets.HIDDEN},
                    params), State.of(mask));
            var solution = Deq.of(s.config()).solve(cell, State.of(x));
            DeqGradients ref = solution.backward(State.of(gz));
            double err = GradientComparison.relativeError(z, solution.z().part(0));
            err = Math.max(err, GradientComparison.relativeError(back.getSecond()[0], ref.gx().part(0)));
            for (int i = 0; i < params.size(); i++) {
                String key = DeqSettings.key(v.deqVertex().cell().parameters().get(i).name());
                err = Math.max(err, GradientComparison.relativeError(back.getFirst().getGradientFor(key),
                        ref.gParams().get(i)));
            }
            System.out.printf("%s vertex with locked dropout vs the core engine with its mask: %.2e%n", s, err);
            assertTrue(err < 1e-9, s + ": " + err);
        }
    }

    @Test
    void evaluationIsDropoutFreeAndDeterministicWhileTrainingMasks() {
        INDArray x = randn(3, 5, DeqNets.HIDDEN);
        DeqConfig config = Strategy.REVERSIBLE.config();
        DeqGraphVertex with = vertex(DeqExecution.AUTO, config, RATE);
        DeqGraphVertex without = vertex(DeqExecution.AUTO, config, 0);
        with.setInputs(new INDArray[] {x});
        without.setInputs(new INDArray[] {x});
        INDArray eval1 = with.doForward(false, LayerWorkspaceMgr.noWorkspaces()).dup();
        INDArray eval2 = with.doForward(false, LayerWorkspaceMgr.noWorkspaces()).dup();
        INDArray plain = without.doForward(false, LayerWorkspaceMgr.noWorkspaces()).dup();
        assertEquals(eval1, eval2);
        assertEquals(plain, eval1, "no dropout at evaluation");
        assertTrue(with.lastDropoutMask().isEmpty(), "evaluation draws no mask");
        assertEquals(plain, without.doForward(true, LayerWorkspaceMgr.noWorkspaces()), "rate 0 is off in training");

        Nd4j.getRandom().setSeed(1);
        INDArray train1 = with.doForward(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        Nd4j.getRandom().setSeed(1);
        INDArray train1Again = with.doForward(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        Nd4j.getRandom().setSeed(2);
        INDArray train2 = with.doForward(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        assertEquals(train1, train1Again, "masks follow ND4J's seeded generator");
        assertFalse(train1.equalsWithEps(eval1, 1e-6), "training applies a mask");
        assertFalse(train1.equalsWithEps(train2, 1e-6), "a new step, a new mask");
    }

    @Test
    void theRateTravelsThroughJsonAndOldJsonMeansOff() {
        ComputationGraphConfiguration conf = DeqNets.conf(DeqVertex.builder()
                .cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2)).dropout(0.25).build(), new Adam(1e-2));
        String json = conf.toJson();
        assertTrue(json.contains("\"dropout\" : 0.25"), json);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(conf, back);
        assertEquals(0.25, ((DeqVertex) back.getVertices().get("deq")).dropout().rate());

        String off = DeqNets.conf(DeqNets.vertex(Strategy.REVERSIBLE.config()), new Adam(1e-2)).toJson();
        assertFalse(off.contains("\"dropout\""), "no field without dropout: configurations saved before read the same");
        String old = json.replace("\"dropout\" : 0.25,", "").replace(",\n      \"dropout\" : 0.25", "");
        assertFalse(old.contains("\"dropout\""), old);
        DeqVertex fromOld = (DeqVertex) ComputationGraphConfiguration.fromJson(old).getVertices().get("deq");
        assertFalse(fromOld.dropout().isOn());
    }

    @Test
    void ratesOutsideZeroToOneAreRejected() {
        DeqVertex.Builder b = DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2));
        for (double bad : new double[] {-0.5, 1.0, Double.NaN}) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> b.dropout(bad));
            assertTrue(e.getMessage().contains("dropout rate"), e.getMessage());
        }
        assertTrue(Arrays.asList(DeqVertex.class.getMethods()).stream().anyMatch(m -> m.getName().equals("getDropout")));
    }
}
