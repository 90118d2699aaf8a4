package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The RevDEQ conv cell (NCHW) in a DeqVertex: input [N, 2, 4, 4] -> DeqVertex -> softmax output
 * (DL4J adds the CNN-to-dense preprocessor): DL4J's gradient check with the reversible strategy, JSON
 * round trip with identical outputs, and the same initial parameters as {@link CellParameters#create}
 * for the same seed.
 */
@ExtendWith(DoublePrecision.class)
class DeqVertexConvTest {
    private static final ConvResidualCell CELL = new ConvResidualCell(2, 1, 1, 1e-5, false);
    @BeforeAll
    static void registerCell() {
        ConvResidualCell.register();
    }

    private static ComputationGraphConfiguration conf() {
        DeqVertex deq = DeqVertex.builder().cell(CELL).seed(5)
                .configure(c -> c.maxSteps(3).tol(DeqNets.NEVER).precision(PrecisionPolicy.DOUBLE)).build();
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new NoOp())
                .graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(4, 4, 2))
                .addVertex("deq", deq, "in")
                // Not a global average pool: the cell ends in a GroupNorm whose per-group mean is its shift.
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "deq")
                .setOutputs("out").build();
    }

    @Test
    void jsonRoundTripGivesIdenticalOutputsAndStateShape() {
        ComputationGraphConfiguration conf = conf();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph a = DeqNets.net(conf);
        ComputationGraph b = DeqNets.net(back);
        INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(8), new long[] {2, 2, 4, 4})
                .castTo(DataType.DOUBLE);
        INDArray z = a.feedForward(x, false).get("deq");
        assertEquals(List.of(2L, 2L, 4L, 4L), List.of(z.shape()[0], z.shape()[1], z.shape()[2], z.shape()[3]));
        assertTrue(z.norm2Number().doubleValue() > 0);
        assertEquals(a.outputSingle(x), b.outputSingle(x));
        DeqGraphVertex v = (DeqGraphVertex) a.getVertex("deq");
        assertEquals(3, v.lastForwardStats().orElseThrow().maxSteps());
    }

    @Test
    void gradientCheckPasses() {
        ComputationGraph net = DeqNets.net(conf());
        INDArray x = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(9), new long[] {2, 2, 4, 4})
                .castTo(DataType.DOUBLE);
        INDArray y = Nd4j.create(new double[][] {{1, 0}, {0, 1}});
        // From z0 = 0 the first GroupNorm sees a constant zero map and outputs its shift; with the shift's
        // initial value 0 the ReLU after it sits exactly on its kink, where central differences average
        // the two one-sided slopes. Move the shift off the kink.
        net.getVertex("deq").paramTable(false).get("gn1Beta").assign(0.05);
        net.setInputs(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        for (ParamSpec spec : CELL.parameters()) {
            INDArray g = net.gradient().getGradientFor("deq_" + DeqSettings.key(spec.name()));
            assertTrue(g.norm2Number().doubleValue() > 1e-6, spec.name() + " has a non-trivial gradient");
        }
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    @Test
    void initialParametersMatchCellParametersForTheSeed() {
        ComputationGraph net = DeqNets.net(conf());
        Map<String, INDArray> views = net.getVertex("deq").paramTable(false);
        SameDiff sd = SameDiff.create();
        List<SDVariable> vars = CellParameters.create(sd, CELL, "", 5, DataType.DOUBLE);
        List<ParamSpec> specs = CELL.parameters();
        for (int i = 0; i < specs.size(); i++) {
            assertEquals(vars.get(i).getArr(), views.get(DeqSettings.key(specs.get(i).name())), specs.get(i).name());
        }
    }
}
