package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.config.NormConfig;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.samediff.dl4j.DeqStabilisers;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Each LM preset states its stabilisers, and the builder puts them on the DEQ. */
class ModelStabilisersTest {

    @Test
    void everyPresetUsesNoneAsThePapersModelDoes() {
        for (String name : new String[] {"wikitext103-paper", "austen-micro", "austen-tiny", "austen-small"}) {
            assertEquals(DeqStabilisers.NONE, DeqLanguageModelConfig.preset(name).stabilisers(), name);
        }
    }

    @Test
    void theModelsStabilisersReachTheDeq() {
        DeqStabilisers s = new DeqStabilisers(new VariationalDropout(0.2), JacobianRegularization.of(0.3),
                NormConfig.spectralNorm());
        DeqLanguageModelConfig model = DeqTransformerLMTest.tinyConfig().withStabilisers(s);
        ComputationGraphConfiguration conf = DeqTransformerLM.configuration(model,
                DeqTransformerLM.deqConfig(model, GradientStrategy.REVERSIBLE), 1, DataType.FLOAT);
        DeqVertex deq = (DeqVertex) conf.getVertices().get(DeqTransformerLM.DEQ);
        assertEquals(0.2, deq.dropout().rate());
        assertEquals(JacobianRegularization.of(0.3), deq.deqConfig().jacobian());
        assertEquals(NormConfig.spectralNorm(), deq.norm());
    }
}
