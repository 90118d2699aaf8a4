package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.LockedDropoutCell;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.check.FiniteDifferences;
import org.deq4j.core.config.NormConfig;
import org.deq4j.core.reg.JacobianPenalty;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.core.reg.PenaltyGradients;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.MlpCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Jacobian regularisation through DL4J: the penalty's gradient on a SameDiff graph cell, and the
 * gradient of score + λ·R through a whole network (finite differences of both, z* held fixed in R as
 * the penalty defines it) on both executions of the vertex.
 */
@ExtendWith(DoublePrecision.class)
class DeqJacobianRegularizationTest {
    private static final double LAMBDA = 0.5;
    private static final int PROBES = 2;
    private static final long STEP_SEED = 1234;

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    @Test
    void penaltyGradientOnAGraphCellMatchesFiniteDifferences() {
        GraphCell graphCell = new MlpCell(5, 3);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(3);
        List<INDArray> params = new ArrayList<>();
        for (ParamSpec spec : graphCell.parameters()) {
            params.add(Nd4j.randn(rng, spec.shape()).castTo(DataType.DOUBLE).muli(0.4));
        }
        Cell cell = GraphCellAdapter.toCell(graphCell, new long[] {3}, params);
        State z = State.of(Nd4j.randn(rng, new long[] {4, 5}).castTo(DataType.DOUBLE));
        State x = State.of(Nd4j.randn(rng, new long[] {4, 3}).castTo(DataType.DOUBLE));
        List<State> probes = JacobianPenalty.gaussianProbes(z, 3, rng);
        PenaltyGradients g = JacobianPenalty.estimate(cell, z, x, probes).gradients(LAMBDA);
        List<INDArray> targets = new ArrayList<>(x.parts());
        targets.addAll(cell.parameters());
        List<INDArray> grads = new ArrayList<>(g.gx().parts());
        grads.addAll(g.gParams());
        FiniteDifferences.Directional d = FiniteDifferences.directional(targets, grads,
                () -> LAMBDA * JacobianPenalty.estimate(cell, z, x, probes).value(), 1e-5, rng);
        System.out.printf("graph cell penalty gradient vs finite differences: %.2e%n", d.maxRelativeError());
        assertTrue(d.maxRelativeError() < 1e-7, () -> "numeric " + d.numeric() + " analytic " + d.analytic());
    }

    private static ComputationGraph net(Strategy strategy, JacobianRegularization jacobian) {
        DeqConfig config = strategy.config().toBuilder().jacobian(jacobian).build();
        ComputationGraphConfiguration conf = DeqNets.conf(DeqNets.vertex(config), new NoOp());
        return DeqNets.net(conf);
    }

    /**
     * Reversible runs on the RevDEQ op, unrolled on the core engine; both are exact gradients of their
     * step budget, so finite differences of the score check them at any residual.
     */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"REVERSIBLE", "UNROLLED"})
    void networkGradientIsThatOfScorePlusPenalty(Strategy strategy) {
        ComputationGraph net = net(strategy, new JacobianRegularization(LAMBDA, 1.0, PROBES));
        assertEquals(strategy == Strategy.REVERSIBLE ? RevDeqOpRuntime.class : EngineRuntime.class,
                runtimeClass(net));
        INDArray x = DeqNets.features(3, 4);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        Nd4j.getRandom().setSeed(STEP_SEED);
        net.setInputs(x);
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        INDArray analytic = net.gradient().gradient().dup();
        DeqGraphVertex vertex = (DeqGraphVertex) net.getVertex("deq");
        double reported = vertex.lastJacobianPenalty().orElseThrow();
        assertEquals(reported, DeqStatsSource.lastStepJacobianPenalty(net).get().orElseThrow(), 0.0);

        // What the vertex used: z* and its input from an (inference) forward, the probes redrawn from the seed.
        Map<String, INDArray> acts = net.feedForward(new INDArray[] {x}, false, false);
        State zStar = State.of(acts.get("deq").dup());
        Nd4j.getRandom().setSeed(STEP_SEED);
        List<State> probes = JacobianPenalty.gaussianProbes(zStar, PROBES, Nd4j.getRandom());
        Cell cell = GraphCellAdapter.toCell(vertex.deqVertex().cell(), new long[] {DeqNets.HIDDEN},
                vertex.deqVertex().cell().parameters().stream()
                        .map(s -> vertex.paramTable(false).get(DeqSettings.key(s.name()))).toList());
        DoubleSupplier penalty = () -> LAMBDA * JacobianPenalty.estimate(cell, zStar,
                State.of(net.feedForward(new INDArray[] {x}, false, false).get("dense")), probes).value();
        assertEquals(penalty.getAsDouble(), reported, 1e-12 * reported, "the vertex reports λ·R of its probes");

        // DL4J backpropagates the summed loss (its updater divides by the batch), the score is the mean.
        int batch = (int) x.size(0);
        DoubleSupplier total = () -> batch * (net.score(data, true) + penalty.getAsDouble());
        INDArray params = net.params();
        FiniteDifferences.Directional d = FiniteDifferences.directional(Collections.nCopies(6, params),
                Collections.nCopies(6, analytic), total, 1e-6, Nd4j.getRandomFactory().getNewRandomInstance(5));
        System.out.printf("%s: score + λR vs backprop, max relative error %.2e%n", strategy, d.maxRelativeError());
        assertTrue(d.maxRelativeError() < 1e-6, () -> "numeric " + d.numeric() + " analytic " + d.analytic());

        // The check can fail: without the penalty's gradient the same directional derivatives differ.
        ComputationGraph plain = net(strategy, JacobianRegularization.OFF);
        plain.setInputs(x);
        plain.setLabels(data.getLabels());
        plain.computeGradientAndScore();
        assertTrue(plain.getVertex("deq") instanceof DeqStatsSource s && s.lastJacobianPenalty().isEmpty());
        FiniteDifferences.Directional without = FiniteDifferences.directional(Collections.nCopies(6, params),
                Collections.nCopies(6, plain.gradient().gradient()), total, 1e-6,
                Nd4j.getRandomFactory().getNewRandomInstance(5));
        assertTrue(without.maxRelativeError() > 1e-3, "the penalty's share: " + without.maxRelativeError());
    }

    /**
     * All three stabilisers at once, on both executions: the penalty is taken on the step's masked
     * cell and its parameter gradient passes back through weight normalisation together with the
     * solve's. The reference is finite differences of batch·(score + λ·R) with R rebuilt independently:
     * the step's mask and probes redrawn from the seed, the normalised weights recomputed from the
     * perturbed parameters, and z* held at the step's fixed point as the penalty defines it.
     */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"REVERSIBLE", "UNROLLED"})
    void penaltyWithDropoutAndWeightNormIsTheGradientOfScorePlusPenalty(Strategy strategy) {
        DeqConfig config = strategy.config().toBuilder()
                .jacobian(new JacobianRegularization(LAMBDA, 1.0, PROBES)).build();
        TanhTestCell graphCell = new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2);
        VariationalDropout dropout = new VariationalDropout(0.3);
        DeqVertex deq = DeqVertex.builder().cell(graphCell).deq(config).seed(7).dropout(dropout.rate())
                .norm(NormConfig.weightNorm()).build();
        ComputationGraph net = DeqNets.net(DeqNets.conf(deq, new NoOp()));
        INDArray x = DeqNets.features(3, 4);
        DataSet data = new DataSet(x, DeqNets.labels(x));
        DeqGraphVertex vertex = (DeqGraphVertex) net.getVertex("deq");
        Nd4j.getRandom().setSeed(STEP_SEED);
        net.setInputs(x);
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        INDArray analytic = net.gradient().gradient().dup();
        double reported = vertex.lastJacobianPenalty().orElseThrow();

        // The step's fixed point (a training forward under the step's seed), then its mask and probes
        // redrawn in the runtime's order from the same seed.
        Nd4j.getRandom().setSeed(STEP_SEED);
        State zStar = State.of(net.feedForward(new INDArray[] {x}, true, false).get("deq").dup());
        Nd4j.getRandom().setSeed(STEP_SEED);
        long[] stateShape = {x.size(0), DeqNets.STATE};
        INDArray mask = dropout.sampleInto(Nd4j.createUninitialized(DataType.DOUBLE,
                graphCell.dropoutMaskShape(stateShape)));
        assertEquals(vertex.lastDropoutMask().orElseThrow(), mask, "the reference redraws the step's mask");
        List<State> probes = JacobianPenalty.gaussianProbes(zStar, PROBES, Nd4j.getRandom());
        CellNormalisation.Bound weights = CellNormalisation.of(graphCell, NormConfig.weightNorm())
                .bind(p -> vertex.paramTable(false).get(DeqSettings.key(p)), DataType.DOUBLE);
        Cell cell = new LockedDropoutCell(GraphCellAdapter.toCell(graphCell, new long[] {DeqNets.HIDDEN},
                weights.refresh(false)), State.of(mask));
        DoubleSupplier penalty = () -> {
            weights.refresh(false);
            return LAMBDA * JacobianPenalty.estimate(cell, zStar,
                    State.of(net.feedForward(new INDArray[] {x}, false, false).get("dense")), probes).value();
        };
        assertEquals(penalty.getAsDouble(), reported, 1e-12 * reported, "the vertex reports λ·R of its probes");

        int batch = (int) x.size(0);
        DoubleSupplier total = () -> {
            Nd4j.getRandom().setSeed(STEP_SEED); // the score under the step's mask
            return batch * (net.score(data, true) + penalty.getAsDouble());
        };
        FiniteDifferences.Directional d = FiniteDifferences.directional(Collections.nCopies(6, net.params()),
                Collections.nCopies(6, analytic), total, 1e-6, Nd4j.getRandomFactory().getNewRandomInstance(5));
        System.out.printf("%s with dropout and weight norm: score + λR vs backprop, max relative error %.2e%n",
                strategy, d.maxRelativeError());
        assertTrue(d.maxRelativeError() < 1e-6, () -> "numeric " + d.numeric() + " analytic " + d.analytic());
    }

    private static MultiLayerNetwork layerNet(JacobianRegularization jacobian) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(42)
                .dataType(DataType.DOUBLE).updater(new NoOp()).list()
                .layer(new DenseLayer.Builder().nOut(DeqNets.HIDDEN).activation(Activation.TANH).build())
                .layer(DeqVertex.builder().cell(new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2))
                        .deq(Strategy.REVERSIBLE.config().toBuilder().jacobian(jacobian).build()).seed(7).buildLayer())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(DeqNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(DeqNets.IN)).build());
        net.init();
        return net;
    }

    /** The layer form adds batch·λ·∂R/∂θ to its parameter gradients (DL4J's updater divides by the batch). */
    @Test
    void layerAddsThePenaltyGradientInDl4jsConvention() {
        INDArray x = DeqNets.features(3, 4);
        INDArray y = DeqNets.labels(x);
        MultiLayerNetwork regularised = layerNet(new JacobianRegularization(LAMBDA, 1.0, PROBES));
        MultiLayerNetwork plain = layerNet(JacobianRegularization.OFF);
        for (MultiLayerNetwork net : List.of(regularised, plain)) {
            Nd4j.getRandom().setSeed(STEP_SEED);
            net.setInput(x);
            net.setLabels(y);
            net.computeGradientAndScore();
        }
        assertTrue(((DeqStatsSource) regularised.getLayer(1)).lastJacobianPenalty().isPresent());
        List<INDArray> acts = regularised.feedForward(x, false);
        State zStar = State.of(acts.get(2));
        Nd4j.getRandom().setSeed(STEP_SEED);
        List<State> probes = JacobianPenalty.gaussianProbes(zStar, PROBES, Nd4j.getRandom());
        GraphCell graphCell = new TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2);
        Map<String, INDArray> params = regularised.getLayer(1).paramTable();
        Cell cell = GraphCellAdapter.toCell(graphCell, new long[] {DeqNets.HIDDEN},
                graphCell.parameters().stream().map(p -> params.get(DeqSettings.key(p.name()))).toList());
        PenaltyGradients expected = JacobianPenalty.estimate(cell, zStar, State.of(acts.get(1)), probes)
                .gradients(x.size(0) * LAMBDA);
        for (int i = 0; i < graphCell.parameters().size(); i++) {
            String key = "1_" + DeqSettings.key(graphCell.parameters().get(i).name());
            INDArray added = regularised.gradient().getGradientFor(key).sub(plain.gradient().getGradientFor(key));
            INDArray want = expected.gParams().get(i);
            assertEquals(0.0, added.sub(want).amaxNumber().doubleValue(), 1e-9 * want.amaxNumber().doubleValue(), key);
        }
    }

    @Test
    void frequencySkipsStepsAndEvaluationNeverRegularises() {
        ComputationGraph net = net(Strategy.UNROLLED, new JacobianRegularization(LAMBDA, 0.5, 1));
        INDArray x = DeqNets.features(3, 4);
        DeqStatsSource vertex = (DeqStatsSource) net.getVertex("deq");
        int applied = 0;
        for (int step = 0; step < 30; step++) {
            Nd4j.getRandom().setSeed(STEP_SEED + step);
            net.feedForward(new INDArray[] {x}, true, true);
            applied += vertex.lastJacobianPenalty().isPresent() ? 1 : 0;
        }
        assertTrue(applied > 5 && applied < 25, "applied on " + applied + " of 30 steps at frequency 0.5");
        net.output(x);
        assertFalse(vertex.lastJacobianPenalty().isPresent(), "an inference forward applies no penalty");
    }

    @Test
    void configurationWithThePenaltyRoundTripsThroughJson() {
        ComputationGraphConfiguration conf = DeqNets.conf(DeqNets.vertex(Strategy.REVERSIBLE.config().toBuilder()
                .jacobian(new JacobianRegularization(0.25, 0.5, 3)).build()), new NoOp());
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        DeqVertex v = (DeqVertex) back.getVertices().get("deq");
        assertEquals(new JacobianRegularization(0.25, 0.5, 3), v.deqConfig().jacobian());
        assertEquals(0.25, v.getDeq().get("jac_loss_weight"));
    }

    private static Class<?> runtimeClass(ComputationGraph net) {
        try {
            var field = DeqGraphVertex.class.getDeclaredField("runtime");
            field.setAccessible(true);
            return field.get(net.getVertex("deq")).getClass();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
