package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.config.NormConfig;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.samediff.dl4j.DeqStabilisers;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.junit.jupiter.api.Test;

/** Each preset states its stabilisers, and the builder puts them on every DEQ stage. */
class PresetStabilisersTest {

    @Test
    void everyShippedPresetUsesNoneAsThePapersModelsDo() {
        for (ZooPreset p : ZooPreset.all().values()) {
            assertEquals(DeqStabilisers.NONE, p.stabilisers(), p.name());
            assertEquals("none", p.stabilisers().describe());
            for (DeqVertex v : deqVertices(ImplicitResNet.configuration(p, GradientStrategy.REVERSIBLE, 1))) {
                assertFalse(v.dropout().isOn() || v.deqConfig().jacobian().isOn(), p.name());
                assertEquals(NormConfig.NONE, v.norm(), p.name());
            }
        }
    }

    @Test
    void aPresetsStabilisersReachEveryStageAndSurviveItsVariants() {
        DeqStabilisers s = new DeqStabilisers(new VariationalDropout(0.1), new JacobianRegularization(0.5, 0.25, 2),
                NormConfig.weightNorm());
        ZooPreset p = ZooPreset.FASHION_CPU.withStabilisers(s).withSteps(3).withBeta(0.7);
        assertEquals(s, p.stabilisers(), "withSteps and withBeta keep the stabilisers");
        List<DeqVertex> stages = deqVertices(ImplicitResNet.configuration(p, GradientStrategy.REVERSIBLE, 1));
        assertEquals(ZooPreset.FASHION_CPU.stages().size(), stages.size());
        for (DeqVertex v : stages) {
            assertEquals(0.1, v.dropout().rate());
            assertEquals(new JacobianRegularization(0.5, 0.25, 2), v.deqConfig().jacobian());
            assertEquals(NormConfig.weightNorm(), v.norm());
            assertEquals(3, v.deqConfig().stop().maxSteps());
        }
        assertEquals("locked dropout 0.1, Jacobian regularisation λ 0.5 (frequency 0.25, 2 probes), weight_norm",
                s.describe());
    }

    private static List<DeqVertex> deqVertices(ComputationGraphConfiguration conf) {
        return conf.getVertices().values().stream().filter(DeqVertex.class::isInstance).map(DeqVertex.class::cast)
                .toList();
    }
}
