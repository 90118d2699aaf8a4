package org.deq4j.samediff.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.deq4j.samediff.dl4j.DeqNets.Strategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;

/** JSON and ModelSerializer round trips of a network holding a DeqVertex. */
class DeqVertexSerializationTest {

    @BeforeAll
    static void registerCell() {
        TanhTestCell.register();
    }

    @Test
    void jsonRoundTripGivesEqualConfigurationAndIdenticalOutputs() {
        for (Strategy s : Strategy.values()) {
            ComputationGraphConfiguration conf = DeqNets.conf(DeqNets.vertex(s.config()), new Adam(1e-2));
            String json = conf.toJson();
            assertTrue(json.contains("\"cellType\" : \"test_tanh\""), json);
            ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
            assertEquals(conf, back, s.name());
            assertEquals(json, back.toJson(), s.name());
            DeqVertex v = (DeqVertex) back.getVertices().get("deq");
            assertEquals(s.config(), v.deqConfig(), s.name());
            assertEquals(new Adam(1e-2), v.getUpdater(), "the global updater reaches the vertex");

            ComputationGraph a = DeqNets.net(conf);
            ComputationGraph b = DeqNets.net(back);
            assertEquals(a.params(), b.params(), "same seeds give the same parameters");
            INDArray x = DeqNets.features(1, 5);
            assertEquals(a.outputSingle(x), b.outputSingle(x), s.name());
        }
    }

    @Test
    void modelSerializerRoundTripGivesIdenticalOutputs(@TempDir Path dir) throws Exception {
        ComputationGraph net = DeqNets.net(DeqNets.conf(DeqNets.vertex(Strategy.REVERSIBLE.config()), new Adam(1e-2)));
        INDArray x = DeqNets.features(2, 6);
        net.fit(new org.nd4j.linalg.dataset.DataSet(x, DeqNets.labels(x)));
        File f = dir.resolve("deq.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        ComputationGraph loaded = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(net.getConfiguration(), loaded.getConfiguration());
        assertEquals(net.params(), loaded.params());
        assertEquals(net.getUpdater().getStateViewArray(), loaded.getUpdater().getStateViewArray());
        assertEquals(net.outputSingle(x), loaded.outputSingle(x));
        // Training continues identically from the restored updater state.
        net.fit(new org.nd4j.linalg.dataset.DataSet(x, DeqNets.labels(x)));
        loaded.fit(new org.nd4j.linalg.dataset.DataSet(x, DeqNets.labels(x)));
        assertEquals(net.params(), loaded.params());
    }
}
