package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * DL4J's own gradient check (central differences of the network score against backprop, every
 * parameter of the dense layer, the DEQ vertex and the output layer) for each gradient strategy.
 *
 * <p>Reversible and unrolled are exact gradients of the computed trajectory, so any fixed step
 * budget passes (6 steps here; the tolerance is never reached, so perturbations cannot change the
 * number of steps). Implicit and phantom are gradients of the exact fixed point: they pass only when
 * the forward solve has converged, here 24 fixed-point steps of a cell whose recurrent weight has spectral norm about 0.2
 * (residual below 0.2^24 ≈ 2e-17), with a 24-step backward solve, respectively 24 phantom steps.
 */
@ExtendWith(DoublePrecision.class)
class DeqVertexGradientCheckTest {
    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void dl4jGradientCheckPasses(Strategy strategy) {
        ComputationGraph net = DeqNets.net(DeqNets.conf(DeqNets.vertex(strategy.config()), new NoOp()));
        INDArray x = DeqNets.features(3, 4);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {DeqNets.labels(x)})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false));
        assertTrue(ok, strategy + ": gradient check failed (see log)");
    }
}
