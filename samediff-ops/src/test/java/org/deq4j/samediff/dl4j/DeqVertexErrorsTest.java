package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.AndersonSolver;
import org.deq4j.core.solver.FixedPointSolver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/** Bad configurations and inputs fail with exceptions that name the problem. */
class DeqVertexErrorsTest {

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    private static void assertMentions(Exception e, String... words) {
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void reversibleAdjointWithAnotherSolverIsRejected() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> DeqVertex.builder()
                .cell(new TanhTestCell(4, 3, 0.5)).configure(c -> c.solver(FixedPointSolver.plain())).build());
        assertMentions(e, "reversible adjoint", "fixed_point");
        InvalidConfigException a = assertThrows(InvalidConfigException.class, () -> DeqVertex.builder()
                .cell(new TanhTestCell(4, 3, 0.5)).configure(c -> c.solver(AndersonSolver.defaults())).build());
        assertMentions(a, "reversible adjoint", "anderson");
        // The JSON/map form: Anderson with the reversible adjoint.
        InvalidConfigException m = assertThrows(InvalidConfigException.class, () -> new DeqVertex(TanhTestCell.TYPE,
                new TanhTestCell(4, 3, 0.5).config(), Map.of("f_solver", "anderson", "adjoint", "reversible"), 1, null, null, null));
        assertMentions(m, "anderson");
    }

    @Test
    void missingOrUnknownCellIsRejected() {
        assertMentions(assertThrows(InvalidConfigException.class, () -> DeqVertex.builder().build()), "needs a cell");
        assertMentions(assertThrows(InvalidConfigException.class, () -> new DeqVertex("no_such_cell", Map.of(),
                Map.of(), 1, null, null, null)), "unknown graph cell type 'no_such_cell'", "GraphCells.register");
    }

    @Test
    void executionThatCannotRunTheConfigurationIsRejected() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> DeqVertex.builder()
                .cell(new TanhTestCell(4, 3, 0.5)).execution(DeqExecution.REVDEQ_OP)
                .configure(c -> c.solver(AndersonSolver.defaults()).adjoint(new PhantomAdjoint(1, 1.0))).build());
        assertMentions(e, "revdeq_op", "anderson", "phantom", "core_engine");
        InvalidConfigException unknown = assertThrows(InvalidConfigException.class, () -> new DeqVertex(
                TanhTestCell.TYPE, new TanhTestCell(4, 3, 0.5).config(), Map.of(), 1, "gpu", null, null));
        assertMentions(unknown, "unknown DEQ execution 'gpu'", "auto, revdeq_op or core_engine");
    }

    @Test
    void computeTypeOtherThanTheNetworkTypeIsRejected() {
        DeqVertex v = DeqVertex.builder().cell(new TanhTestCell(4, 3, 0.5))
                .configure(c -> c.precision(PrecisionPolicy.DOUBLE)).build();
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).graphBuilder().addInputs("in").addVertex("deq", v, "in").setOutputs("deq")
                .build());
        assertMentions(assertThrows(InvalidConfigException.class, net::init), "DEQ 'deq'", "DOUBLE", "FLOAT",
                "compute_dtype");
    }

    @Test
    void wrongInputShapeIsNamed() {
        // The dense layer gives 5 features; the cell's injection weight U expects 3.
        ComputationGraph net = DeqNets.net(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).graphBuilder().addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(2).nOut(5).build(), "in")
                .addVertex("deq", DeqVertex.builder().cell(new TanhTestCell(4, 3, 0.5))
                        .configure(c -> c.precision(PrecisionPolicy.DOUBLE)).build(), "dense")
                .setOutputs("deq").build());
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                () -> net.outputSingle(Nd4j.rand(DataType.DOUBLE, 2, 2)));
        assertMentions(e, "DEQ 'deq'", "test_tanh", "[2, 5]", "per sample [5]");
    }
}
