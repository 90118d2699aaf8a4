package org.deq4j.core.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.FixedPoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.config.DeqConfigs;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Evaluation-time budgets: the step arithmetic, the config keys, and that only inference changes. */
class EvalBudgetTest {

    private static final StopCriterion TRAINING = new StopCriterion(10, 1e-9, StopMode.ABSOLUTE);

    @Test
    void scaledRoundsUpAndKeepsTheTolerance() {
        assertSame(TRAINING, EvalBudget.SAME.apply(TRAINING));
        assertEquals(new StopCriterion(11, 1e-9, StopMode.ABSOLUTE), new EvalBudget.Scaled(1.1).apply(TRAINING));
        assertEquals(15, new EvalBudget.Scaled(1.45).apply(TRAINING).maxSteps());
        assertEquals(1, new EvalBudget.Scaled(0.01).apply(TRAINING).maxSteps());
        assertEquals(7, new EvalBudget.Fixed(7).apply(TRAINING).maxSteps());
        assertTrue(EvalBudget.SAME.isSame());
        assertFalse(new EvalBudget.Fixed(10).isSame());
        assertThrows(InvalidConfigException.class, () -> new EvalBudget.Scaled(0));
        assertThrows(InvalidConfigException.class, () -> new EvalBudget.Scaled(Double.POSITIVE_INFINITY));
        assertThrows(InvalidConfigException.class, () -> new EvalBudget.Fixed(0));
        assertThrows(InvalidConfigException.class, () -> DeqConfig.builder().maxSteps(1 << 30).evalFactor(4).build());
    }

    @Test
    void configKeysFollowTorchdeq() {
        DeqConfig scaled = DeqConfigs.fromMap(Map.of("f_max_iter", 4, "eval_factor", "2.5"));
        assertEquals(10, scaled.evalStop().maxSteps());
        assertEquals(4, scaled.stop().maxSteps());
        DeqConfig fixed = DeqConfigs.fromMap(Map.of("f_max_iter", 4, "eval_f_max_iter", 9));
        assertEquals(9, fixed.evalStop().maxSteps());
        // torchdeq's default eval_f_max_iter of 0 means "not set"
        assertEquals(EvalBudget.SAME, DeqConfigs.fromMap(Map.of("eval_f_max_iter", 0, "eval_factor", 1)).eval());
        assertFalse(DeqConfigs.toMap(DeqConfig.builder().build()).containsKey("eval_factor"),
                "the default must not change saved maps");
        assertEquals(2.5, DeqConfigs.toMap(scaled).get("eval_factor"));
        assertRejected(Map.of("eval_factor", 2, "eval_f_max_iter", 9), "eval_factor", "eval_f_max_iter", "one of");
        assertRejected(Map.of("eval_factor", -1), "'eval_factor'", "positive");
        assertRejected(Map.of("eval_f_max_iter", -3), "'eval_f_max_iter'", "at least 1");
        assertRejected(Map.of("eval_factr", 2), "did you mean 'eval_factor'");
    }

    private static void assertRejected(Map<String, ?> map, String... parts) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> DeqConfigs.fromMap(map));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message lacks '" + p + "': " + e.getMessage());
        }
    }

    /**
     * With a tolerance no solve reaches, a solve takes its whole budget: inference runs ⌈2.5 · 4⌉ = 10 steps,
     * training still 4, and the longer inference solve lands closer to the fixed point.
     */
    @Test
    void inferenceTakesTheEvaluationBudgetAndTrainingDoesNot() {
        TanhMlpCell cell = TanhMlpCell.random(6, 3, 0.6, 11, DataType.DOUBLE);
        State x = State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(12), new long[] {5, 3})
                .castTo(DataType.DOUBLE));
        DeqConfig base = DeqConfig.builder().maxSteps(4).tol(1e-14).precision(PrecisionPolicy.DOUBLE).build();
        Deq plain = Deq.of(base);
        Deq scaled = Deq.of(base.toBuilder().evalFactor(2.5).build());

        FixedPoint before = plain.infer(cell, x);
        FixedPoint after = scaled.infer(cell, x);
        assertEquals(4, before.stats().maxSteps());
        assertEquals(10, after.stats().maxSteps());
        assertTrue(after.stats().cellEvaluations() > before.stats().cellEvaluations(),
                after.stats() + " vs " + before.stats());
        assertTrue(after.stats().maxFinalResidual() < before.stats().maxFinalResidual());

        DeqSolution trainPlain = plain.solve(cell, x);
        DeqSolution trainScaled = scaled.solve(cell, x);
        assertEquals(trainPlain.stats().cellEvaluations(), trainScaled.stats().cellEvaluations());
        assertEquals(trainPlain.z().part(0), trainScaled.z().part(0), "training must be unaffected");
        // factor 1 is the training solve, bit for bit
        assertEquals(trainPlain.z().part(0), before.z().part(0));
    }
}
