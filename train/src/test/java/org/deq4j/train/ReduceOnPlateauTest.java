package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;

class ReduceOnPlateauTest {

    /** Feeds the losses and returns the 1-based steps at which the scale was reduced. */
    private static List<Integer> reductions(ReduceOnPlateau rule, double[] losses) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            if (rule.observe(losses[i])) {
                at.add(i + 1);
            }
        }
        return at;
    }

    @Test
    void halvesAfterPatienceNonImprovingBlockAverages() {
        // window 4, patience 3, no tolerance. Block averages: 10, 8, 9, 8, 8.5 | 7, 7, 7, 7 | 6.
        // Block 1 (steps 1-4) sets best 10; block 2 improves (8); blocks 3, 4, 5 do not (9, 8 is not < 8, 8.5)
        // -> third bad block ends at step 20: halve. Blocks 6 improves (7), 7, 8, 9 equal -> halve at step 36.
        double[] blocks = {10, 8, 9, 8, 8.5, 7, 7, 7, 7, 6};
        double[] losses = new double[blocks.length * 4];
        for (int b = 0; b < blocks.length; b++) {
            // vary inside the block; the average is what counts
            losses[4 * b] = blocks[b] + 1;
            losses[4 * b + 1] = blocks[b] - 1;
            losses[4 * b + 2] = blocks[b] + 0.5;
            losses[4 * b + 3] = blocks[b] - 0.5;
        }
        ReduceOnPlateau rule = new ReduceOnPlateau(new ReduceOnPlateau.Settings(4, 3, 0.5, 1e-3, 0));
        assertEquals(List.of(20, 36), reductions(rule, losses));
        assertEquals(0.25, rule.scale());
        assertEquals(6.0, rule.state().best());
        assertEquals(2, rule.state().reductions());
    }

    @Test
    void relativeToleranceDemandsAClearImprovement() {
        // Averages 1.0 then 0.99995 repeatedly: an improvement of 5e-5 relative, below rtol 1e-4.
        double[] losses = {1.0, 0.99995, 0.99995};
        ReduceOnPlateau strict = new ReduceOnPlateau(new ReduceOnPlateau.Settings(1, 2, 0.5, 1e-3, 1e-4));
        assertEquals(List.of(3), reductions(strict, losses));
        ReduceOnPlateau loose = new ReduceOnPlateau(new ReduceOnPlateau.Settings(1, 2, 0.5, 1e-3, 0));
        assertEquals(List.of(), reductions(loose, losses));
    }

    @Test
    void paperSettingsReachTheStopScaleAfterTenHalvings() {
        ReduceOnPlateau rule = new ReduceOnPlateau(ReduceOnPlateau.Settings.PAPER);
        // A constant loss: the first block sets the best, then every 10 blocks of 200 steps halve the scale.
        int steps = 0;
        while (!rule.exhausted()) {
            rule.observe(2.5);
            steps++;
        }
        assertEquals(200 * (1 + 10 * 10), steps);
        assertEquals(Math.pow(0.5, 10), rule.scale());
        assertTrue(rule.scale() <= 1e-3 && rule.scale() * 2 > 1e-3);
    }

    @Test
    void snapshotRestoresExactly() {
        ReduceOnPlateau a = new ReduceOnPlateau(new ReduceOnPlateau.Settings(3, 2, 0.5, 1e-3, 1e-4));
        ReduceOnPlateau b = new ReduceOnPlateau(a.settings());
        double[] losses = new double[50];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 1 / Math.sqrt(i + 1.0) + 0.1 * Math.sin(i);
        }
        for (int i = 0; i < 20; i++) {
            a.observe(losses[i]);
        }
        b.restore(a.state());
        for (int i = 20; i < 50; i++) {
            assertEquals(a.observe(losses[i]), b.observe(losses[i]));
        }
        assertEquals(a.state(), b.state());
    }

    @Test
    void rejectsBadInput() {
        ReduceOnPlateau rule = new ReduceOnPlateau(ReduceOnPlateau.Settings.PAPER);
        assertThrows(org.deq4j.core.DeqException.class, () -> rule.observe(Double.NaN));
        assertThrows(InvalidConfigException.class, () -> new ReduceOnPlateau.Settings(0, 10, 0.5, 1e-3, 0));
        assertThrows(InvalidConfigException.class, () -> new ReduceOnPlateau.Settings(200, 10, 1.5, 1e-3, 0));
        assertFalse(rule.exhausted());
    }
}
