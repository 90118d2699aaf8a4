package org.deq4j.samediff.dl4j;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small float64 networks input -> dense -> DeqVertex -> softmax output, and the four gradient strategies. */
final class DeqNets {
    static final int IN = 4;
    static final int HIDDEN = 5;
    static final int STATE = 6;
    static final int CLASSES = 3;
    /** Tolerance that is never reached, so every solve takes exactly its step budget. */
    static final double NEVER = 1e-300;

    private DeqNets() {
    }

    /** The gradient strategies, each with a solver it can differentiate. */
    enum Strategy {
        /** RevDEQ: reversible solver, exact gradient of its 6 steps. */
        REVERSIBLE,
        /** BPTT through 6 plain fixed-point steps. */
        UNROLLED,
        /** Implicit gradient at a fixed point converged to rounding (24 steps of a cell with contraction about 0.2). */
        IMPLICIT,
        /** Phantom gradient with 24 undamped steps from a converged fixed point. */
        PHANTOM;

        DeqConfig config() {
            DeqConfig.Builder b = DeqConfig.builder().precision(PrecisionPolicy.DOUBLE).tol(NEVER);
            return switch (this) {
                case REVERSIBLE -> b.solver(new ReversibleSolver(0.8)).adjoint(new ReversibleAdjoint()).maxSteps(6)
                        .build();
                case UNROLLED -> b.solver(FixedPointSolver.plain()).adjoint(new UnrolledAdjoint()).maxSteps(6).build();
                case IMPLICIT -> b.solver(FixedPointSolver.plain()).maxSteps(24).adjoint(new ImplicitAdjoint(
                        FixedPointSolver.plain(), new StopCriterion(24, NEVER, StopMode.ABSOLUTE))).build();
                case PHANTOM -> b.solver(FixedPointSolver.plain()).maxSteps(24).adjoint(new PhantomAdjoint(24, 1.0))
                        .build();
            };
        }
    }

    static DeqVertex vertex(DeqConfig config) {
        return DeqVertex.builder().cell(new TanhTestCell(STATE, HIDDEN, 0.2)).deq(config).seed(7).build();
    }

    static ComputationGraphConfiguration conf(DeqVertex deq, IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(42).dataType(DataType.DOUBLE).updater(updater)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(IN))
                .addLayer("dense", new DenseLayer.Builder().nOut(HIDDEN).activation(Activation.TANH).build(), "in")
                .addVertex("deq", deq, "dense")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(CLASSES).activation(Activation.SOFTMAX).build(), "deq")
                .setOutputs("out")
                .build();
    }

    static ComputationGraph net(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    static INDArray features(long seed, int batch) {
        return Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), new long[] {batch, IN})
                .castTo(DataType.DOUBLE);
    }

    /** One-hot labels of a fixed rule (the class of the largest of the first three features). */
    static INDArray labels(INDArray features) {
        int batch = (int) features.size(0);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, batch, CLASSES);
        for (int i = 0; i < batch; i++) {
            int best = 0;
            for (int c = 1; c < CLASSES; c++) {
                if (features.getDouble(i, c) > features.getDouble(i, best)) {
                    best = c;
                }
            }
            y.putScalar(i, best, 1.0);
        }
        return y;
    }
}
