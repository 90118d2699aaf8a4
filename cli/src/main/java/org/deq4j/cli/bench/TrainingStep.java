package org.deq4j.cli.bench;

import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.cli.bench.MemoryBenchmark.Method;
import org.deq4j.cli.bench.MemoryBenchmark.Settings;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopMode;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.deq4j.samediff.dl4j.DeqExecution;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.deq4j.samediff.op.RevDeq;
import org.deq4j.samediff.unrolled.UnrolledRevDeq;
import org.deq4j.train.compat.OneDnnLayerHelpers;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * One training step (forward + backward, no parameter update) of a {@code ConvResidualCell} DEQ,
 * built once per configuration of {@link MemoryBenchmark} and run many times.
 */
sealed interface TrainingStep extends AutoCloseable {
    /** Relative tolerance no float32 solve reaches: every step of the budget is taken. */
    double TOL = 1e-30;

    /** Runs one step; returns the loss. */
    double run();

    /** Runs one step and calls {@code whileHeld} while its gradients are still referenced. */
    void runHolding(Runnable whileHeld);

    /**
     * Lets go of what earlier steps keep for the next one, so that it is garbage before a memory run's
     * baseline is settled (see {@link Graph#forgetPreviousSteps()}).
     */
    void forgetPreviousSteps();

    @Override
    void close();

    static TrainingStep create(Settings s, Method m, int steps) {
        ConvResidualCell cell = ConvResidualCell.of(s.channels(), s.width());
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(s.seed() + 1);
        INDArray x = Nd4j.randn(rng, new long[] {s.batch(), s.channels(), s.size(), s.size()})
                .castTo(DataType.FLOAT);
        return switch (m) {
            case SAMEDIFF_REVERSIBLE, SAMEDIFF_UNROLLED -> new Graph(s, m, steps, cell, x);
            case VERTEX_REVERSIBLE, VERTEX_REVERSIBLE_ENGINE, VERTEX_UNROLLED -> new Vertex(s, m, steps, cell, x);
        };
    }

    /**
     * A SameDiff graph {@code x -> DEQ -> mean(z²)} differentiated by {@code calculateGradients} with
     * respect to the cell's parameters: the RevDEQ op or the unrolled baseline.
     */
    final class Graph implements TrainingStep {
        private final SameDiff sd;
        private final Map<String, INDArray> placeholders;
        private final List<String> params;
        private final String loss;

        Graph(Settings s, Method m, int steps, ConvResidualCell cell, INDArray x) {
            sd = SameDiff.create();
            SDVariable in = sd.placeHolder("x", DataType.FLOAT, -1, s.channels(), s.size(), s.size());
            List<SDVariable> theta = CellParameters.create(sd, cell, "", s.seed(), DataType.FLOAT);
            SDVariable z = m == Method.SAMEDIFF_REVERSIBLE
                    ? RevDeq.of(cell, GradientStrategy.REVERSIBLE.config(steps, s.beta(), TOL).toBuilder()
                            .precision(PrecisionPolicy.FLOAT).build()).apply(sd, in, theta)
                    : UnrolledRevDeq.apply(sd, cell, in, theta, s.beta(), steps);
            SDVariable l = z.mul(z).mean();
            l.markAsLoss();
            loss = l.name();
            params = theta.stream().map(SDVariable::name).toList();
            placeholders = new HashMap<>(Map.of("x", x));
        }

        private org.nd4j.autodiff.samediff.api.OutAndGrad step() {
            return sd.calculateGradientsAndOutputs(placeholders, List.of(loss), params);
        }

        @Override
        public double run() {
            return step().getOutputs().get(loss).getDouble(0);
        }

        @Override
        public void runHolding(Runnable whileHeld) {
            org.nd4j.autodiff.samediff.api.OutAndGrad r = step();
            whileHeld.run();
            Reference.reachabilityFence(r);
        }

        /**
         * Drops the graph's SameDiff sessions (and those of its functions, e.g. the gradient function).
         * A session keeps every array of its last execution until its next one, and sessions are per
         * thread: without this, a memory run on a new thread would hold a second copy of the step's
         * arrays next to the one the timed steps' session keeps. Reads SameDiff's private
         * {@code sessions} map (ND4J 1.0.0-M2.1); the next step on a thread creates a new session.
         */
        @Override
        public void forgetPreviousSteps() {
            forgetSessions(sd);
        }

        private static void forgetSessions(SameDiff graph) {
            try {
                Field f = SameDiff.class.getDeclaredField("sessions");
                f.setAccessible(true);
                ((Map<?, ?>) f.get(graph)).clear();
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalStateException("cannot read SameDiff's sessions (written for ND4J 1.0.0-M2.1)", e);
            }
            for (String name : graph.definedFunctionNames()) {
                forgetSessions(graph.getFunction(name));
            }
        }

        @Override
        public void close() {
            // the graph's arrays are freed with it
        }
    }

    /**
     * A ComputationGraph {@code input -> DeqVertex -> global average pooling -> dense MSE output} with
     * {@code computeGradientAndScore}; DL4J workspaces off so every array is counted as allocated. The
     * DEQ runs with {@link PrecisionPolicy#MIXED} (float64 state, float32 cell), the engine's setting
     * for reversible gradients: the reverse pass amplifies rounding errors by up to 1/(1-β) per step,
     * and float32 states at 16-32 steps overflow there.
     */
    final class Vertex implements TrainingStep {
        private final ComputationGraph net;
        private final INDArray x;
        private final INDArray y;

        Vertex(Settings s, Method m, int steps, ConvResidualCell cell, INDArray x) {
            DeqConfig deq = DeqConfig.builder().solver(new ReversibleSolver(s.beta()))
                    .adjoint(m.reversible()
                            // float32 drift over many steps is reported by the engine, not an error here
                            ? new ReversibleAdjoint(new DriftCheck(1e-6, DriftCheck.Action.IGNORE))
                            : new UnrolledAdjoint())
                    .maxSteps(steps).tol(TOL).stopMode(StopMode.RELATIVE).precision(PrecisionPolicy.MIXED).build();
            ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                    .seed(s.seed()).dataType(DataType.FLOAT).updater(new Sgd(0.0))
                    .trainingWorkspaceMode(WorkspaceMode.NONE).inferenceWorkspaceMode(WorkspaceMode.NONE)
                    .graphBuilder()
                    .addInputs("in")
                    .setInputTypes(InputType.convolutional(s.size(), s.size(), s.channels()))
                    .addVertex("deq", DeqVertex.builder().cell(cell).deq(deq).seed(s.seed())
                            .execution(m == Method.VERTEX_REVERSIBLE_ENGINE ? DeqExecution.CORE_ENGINE : DeqExecution.AUTO)
                            .build(), "in")
                    .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "deq")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                            .activation(Activation.IDENTITY).build(), "pool")
                    .setOutputs("out")
                    .build();
            net = new ComputationGraph(conf);
            net.init();
            OneDnnLayerHelpers.install(net);
            this.x = x;
            this.y = Nd4j.zeros(DataType.FLOAT, s.batch(), 1);
        }

        @Override
        public double run() {
            net.setInputs(x);
            net.setLabels(y);
            net.computeGradientAndScore();
            return net.score();
        }

        @Override
        public void runHolding(Runnable whileHeld) {
            run();
            whileHeld.run();
        }

        /**
         * Nothing: the cell's graphs live inside the vertex, out of reach; their sessions of earlier
         * threads (a few hundred MiB) stay in the next memory run's baseline, not in its peak.
         */
        @Override
        public void forgetPreviousSteps() {
        }

        @Override
        public void close() {
            net.clear();
        }
    }
}
