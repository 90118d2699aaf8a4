package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * DL4J Adam + post-updater WeightDecay against a hand-written AdamW, including a mid-run learning-rate change;
 * {@link AdamW#apply} against AdamW on DL4J's global builder.
 */
class AdamWTest {
    private static final double B1 = 0.9;
    private static final double B2 = 0.999;
    private static final double EPS = 1e-8;

    /** Raw gradient of the mean loss at the graph's current parameters, from a copy of the graph. */
    private static double[] gradient(ComputationGraph graph, DataSet batch) {
        ComputationGraph copy = graph.clone();
        copy.setInputs(batch.getFeatures());
        copy.setLabels(batch.getLabels());
        copy.computeGradientAndScore();
        double[] g = copy.gradient().gradient().toDoubleVector();
        for (int i = 0; i < g.length; i++) {
            g[i] /= batch.numExamples(); // DL4J's updater divides the summed gradient by the minibatch size
        }
        return g;
    }

    @Test
    void matchesDecoupledReferenceAndFollowsLearningRateChanges() {
        double wd = 0.05;
        ComputationGraph graph = TinyModels.mlp(4, 6, 3, 3e-3, wd, 7);
        EpochIterator data = Blobs.iterator(64, 4, 3, 16, 1, 2);
        double[] p = graph.params().toDoubleVector();
        double[] coupled = p.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double[] mc = new double[p.length];
        double[] vc = new double[p.length];
        double[] lrs = {3e-3, 3e-3, 1e-3, 2.5e-4};
        double maxCoupledGap = 0;
        for (int t = 1; t <= lrs.length; t++) {
            double lr = lrs[t - 1];
            AdamW.setLearningRate(graph, lr);
            DataSet batch = data.next();
            double[] g = gradient(graph, batch);
            double alpha = lr * Math.sqrt(1 - Math.pow(B2, t)) / (1 - Math.pow(B1, t));
            for (int i = 0; i < p.length; i++) {
                m[i] = B1 * m[i] + (1 - B1) * g[i];
                v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
                p[i] -= alpha * m[i] / (Math.sqrt(v[i]) + EPS) + lr * wd * p[i];
                // coupled (Adam with L2 in the gradient), driven by the same gradients: must differ
                double gc = g[i] + wd * coupled[i];
                mc[i] = B1 * mc[i] + (1 - B1) * gc;
                vc[i] = B2 * vc[i] + (1 - B2) * gc * gc;
                coupled[i] -= alpha * mc[i] / (Math.sqrt(vc[i]) + EPS);
            }
            graph.fit(batch);
            double[] actual = graph.params().toDoubleVector();
            for (int i = 0; i < p.length; i++) {
                assertEquals(p[i], actual[i], 1e-12, "step " + t + " parameter " + i);
                maxCoupledGap = Math.max(maxCoupledGap, Math.abs(coupled[i] - actual[i]));
            }
            coupled = actual.clone(); // re-anchor so the gap measures one step of difference
            System.arraycopy(m, 0, mc, 0, m.length);
            System.arraycopy(v, 0, vc, 0, v.length);
        }
        assertTrue(maxCoupledGap > 1e-6, "coupled L2 would give the same result: " + maxCoupledGap);
    }

    /**
     * {@link AdamW#apply} gives what AdamW on DL4J's global builder gives once the duplicated weight decay
     * is removed: the same settings per parameter, the same JSON, bit-identical training; and it leaves
     * its argument alone.
     */
    @Test
    void applyEqualsTheGlobalBuilderWithoutItsDuplicates() {
        double lr = 3e-3;
        double wd = 0.05;
        ComputationGraph global = TinyModels.graph(TinyModels.mlpConfiguration(
                TinyModels.global(7).updater(new Adam(lr)).weightDecay(wd, true).weightDecayBias(wd, true), 4, 6, 3));
        // DL4J attaches the global weight decay twice to each of the 2 layers' weights and biases
        assertEquals(4, AdamW.removeDuplicateRegularization(global), "DL4J M2.1 attaches a global weight decay twice;"
                + " if this fails DL4J fixed it, and removeDuplicateRegularization can go");
        assertEquals(0, AdamW.removeDuplicateRegularization(global));
        ComputationGraphConfiguration architecture = TinyModels.mlpConfiguration(TinyModels.global(7), 4, 6, 3);
        String architectureJson = architecture.toJson();
        ComputationGraph applied = TinyModels.graph(AdamW.apply(architecture, lr, wd));
        assertEquals(architectureJson, architecture.toJson());
        assertEquals(0, AdamW.removeDuplicateRegularization(applied));
        assertEquals(AdamW.paramSettings(global), AdamW.paramSettings(applied));
        assertEquals(List.of(new WeightDecay(wd, true)), AdamW.paramSettings(applied).get("out_b").regularization());
        assertEquals(global.getConfiguration().toJson(), applied.getConfiguration().toJson());
        EpochIterator data = Blobs.iterator(64, 4, 3, 16, 1, 2);
        for (int step = 0; step < 3; step++) {
            DataSet batch = data.next();
            global.fit(batch);
            applied.fit(batch);
        }
        assertArrayEquals(global.params().toDoubleVector(), applied.params().toDoubleVector());
    }

    @Test
    void rejectsBadSettings() {
        ComputationGraph graph = TinyModels.mlp(2, 2, 2, 1e-3, 0, 1);
        assertThrows(InvalidConfigException.class, () -> AdamW.setLearningRate(graph, 0));
        assertThrows(InvalidConfigException.class, () -> AdamW.setLearningRate(graph, Double.NaN));
        ComputationGraphConfiguration architecture = TinyModels.mlpConfiguration(TinyModels.global(1), 2, 2, 2);
        for (double[] bad : new double[][] {{0, 0}, {Double.NaN, 0}, {Double.POSITIVE_INFINITY, 0}, {1e-3, -1e-4},
                {1e-3, Double.NaN}, {1e-3, Double.POSITIVE_INFINITY}}) {
            assertThrows(InvalidConfigException.class, () -> AdamW.apply(architecture, bad[0], bad[1]),
                    bad[0] + ", " + bad[1]);
        }
        // a layer with parameters that apply does not know how to configure is named, not skipped
        ComputationGraphConfiguration bidirectional = TinyModels.global(1).graphBuilder().addInputs("in")
                .setInputTypes(InputType.recurrent(3))
                .addLayer("rnn", new Bidirectional(new LSTM.Builder().nOut(4).build()), "in")
                .addLayer("out", new RnnOutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build(), "rnn")
                .setOutputs("out").build();
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> AdamW.apply(bidirectional, 1e-3, 0));
        assertTrue(e.getMessage().contains("'rnn'"), e.getMessage());
    }
}
