package org.deq4j.samediff.dl4j;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.samediff.cell.GraphCell;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Checks that the two executions of a DEQ vertex ({@link DeqExecution#REVDEQ_OP} and
 * {@link DeqExecution#CORE_ENGINE}) agree on a cell: one training forward and backward pass of each,
 * from the same parameters, for the same input and output gradient. Use it on a custom
 * {@link GraphCell} in float64 before trusting the op with it; deq4j's tests run it on every cell it
 * ships.
 */
public final class ExecutionCheck {
    private ExecutionCheck() {
    }

    /**
     * The largest differences between the executions, each relative to the largest magnitude of the
     * engine's value (absolute where that is below 1), and the op's statistics.
     *
     * @param z          of the fixed point
     * @param gx         of dL/dx
     * @param gParams    of dL/dθ, per DL4J parameter key
     * @param opBackward the op's backward statistics (its drift among them)
     * @param opSteps    each sample's forward steps in the op
     * @param engineSteps each sample's forward steps in the engine
     */
    public record Result(double z, double gx, Map<String, Double> gParams, BackwardStats opBackward, int[] opSteps,
                         int[] engineSteps) {
        /** The largest difference of any gradient. */
        public double maxGradient() {
            return gParams.values().stream().mapToDouble(Double::doubleValue).reduce(gx, Math::max);
        }
    }

    /**
     * Runs both executions of {@code cell} under {@code config} (the reversible pair) on input
     * {@code x} with output gradient {@code gz}, parameters initialised from {@code seed} and then
     * overwritten by those given in {@code overrides} (by DL4J key, e.g. {@code gn1Beta}; may be empty),
     * for example to move a ReLU off its kink, where the two executions may pick different subgradients.
     *
     * @throws InvalidConfigException if the op cannot run {@code config}, or its compute type is not
     *         x's data type
     * @throws ShapeMismatchException if the cell cannot take x, or gz is not the state's shape
     */
    public static Result compare(GraphCell cell, DeqConfig config, INDArray x, INDArray gz, long seed,
                                 Map<String, INDArray> overrides) {
        return compare(cell, config, VariationalDropout.OFF, x, gz, seed, overrides);
    }

    /**
     * {@link #compare(GraphCell, DeqConfig, INDArray, INDArray, long, Map)} under locked dropout: ND4J's
     * random generator is seeded from {@code seed} before each execution's training forward, so both
     * draw the same mask, which each must then use in its forward and backward pass alike.
     *
     * @throws InvalidConfigException as the other overload
     */
    public static Result compare(GraphCell cell, DeqConfig config, VariationalDropout dropout, INDArray x,
                                 INDArray gz, long seed, Map<String, INDArray> overrides) {
        DeqExecution.REVDEQ_OP.resolve(config);
        Pass op = run(cell, config, dropout, DeqExecution.REVDEQ_OP, x, gz, seed, overrides);
        Pass engine = run(cell, config, dropout, DeqExecution.CORE_ENGINE, x, gz, seed, overrides);
        Map<String, Double> gParams = new LinkedHashMap<>();
        engine.gradients().forEach((key, g) -> gParams.put(key, maxAbsDifference(g, op.gradients().get(key))));
        return new Result(maxAbsDifference(engine.z(), op.z()), maxAbsDifference(engine.gx(), op.gx()), gParams,
                op.backward(), op.steps(), engine.steps());
    }

    private record Pass(INDArray z, INDArray gx, Map<String, INDArray> gradients, BackwardStats backward,
                        int[] steps) {
    }

    private static Pass run(GraphCell cell, DeqConfig config, VariationalDropout dropout, DeqExecution execution,
                            INDArray x, INDArray gz, long seed, Map<String, INDArray> overrides) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(x.dataType())
                .updater(new NoOp()).graphBuilder().addInputs("in")
                .addVertex("deq", DeqVertex.builder().cell(cell).deq(config).seed(seed).execution(execution)
                        .dropout(dropout.rate()).build(), "in")
                .setOutputs("deq").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        net.initGradientsView();
        DeqGraphVertex v = (DeqGraphVertex) net.getVertex("deq");
        overrides.forEach((key, value) -> {
            INDArray p = v.paramTable(false).get(key);
            if (p == null) {
                throw new InvalidConfigException("no parameter '" + key + "'; the cell's are " + v.paramTable(false).keySet());
            }
            if (!Arrays.equals(p.shape(), value.shape())) {
                throw new ShapeMismatchException("parameter '" + key + "' has shape " + Arrays.toString(p.shape())
                        + ", its override " + Arrays.toString(value.shape()));
            }
            p.assign(value);
        });
        v.setInputs(new INDArray[] {x});
        if (dropout.isOn()) {
            Nd4j.getRandom().setSeed(seed);
        }
        INDArray z = v.doForward(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        if (!Arrays.equals(z.shape(), gz.shape())) {
            throw new ShapeMismatchException("the output gradient has shape " + Arrays.toString(gz.shape())
                    + " but the fixed point has shape " + Arrays.toString(z.shape()));
        }
        v.setEpsilon(gz);
        Pair<Gradient, INDArray[]> back = v.doBackward(false, LayerWorkspaceMgr.noWorkspaces());
        Map<String, INDArray> gradients = new LinkedHashMap<>();
        back.getFirst().gradientForVariable().forEach((key, g) -> gradients.put(key, g.dup()));
        return new Pass(z, back.getSecond()[0].dup(), gradients, v.lastBackwardStats().orElseThrow(),
                v.lastForwardStats().orElseThrow().steps());
    }

    private static double maxAbsDifference(INDArray a, INDArray b) {
        double scale = Math.max(1.0, a.amaxNumber().doubleValue());
        return a.sub(b.reshape(a.shape())).amaxNumber().doubleValue() / scale;
    }
}
