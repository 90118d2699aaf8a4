package org.deq4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.FixedPoint;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The named strategies' pairings, and the no-gradient solve against the training solve (float64). */
class GradientStrategyTest {

    @Test
    void eachNameIsOnePairing() {
        DeqConfig rev = GradientStrategy.REVERSIBLE.config(4, 0.8, 1e-6);
        assertInstanceOf(ReversibleSolver.class, rev.solver());
        assertInstanceOf(ReversibleAdjoint.class, rev.adjoint());
        assertEquals(0.8, ((ReversibleSolver) rev.solver()).beta());
        for (GradientStrategy g : new GradientStrategy[] {GradientStrategy.UNROLLED, GradientStrategy.IMPLICIT,
                GradientStrategy.PHANTOM}) {
            DeqConfig c = g.config(4, 0.5, 1e-3);
            assertInstanceOf(FixedPointSolver.class, c.solver(), g.id());
            assertEquals(0.5, ((FixedPointSolver) c.solver()).tau(), g.id());
            assertEquals(4, c.stop().maxSteps(), g.id());
            assertEquals(1e-3, c.stop().tol(), g.id());
        }
        assertInstanceOf(UnrolledAdjoint.class, GradientStrategy.UNROLLED.config(4, 0.5, 1e-3).adjoint());
        assertInstanceOf(ImplicitAdjoint.class, GradientStrategy.IMPLICIT.config(4, 0.5, 1e-3).adjoint());
        PhantomAdjoint phantom = (PhantomAdjoint) GradientStrategy.PHANTOM.config(4, 0.5, 1e-3).adjoint();
        assertEquals(4, phantom.k());
        assertEquals(0.5, phantom.tau());
    }

    @Test
    void outOfRangeValuesAreNamed() {
        InvalidConfigException one = assertThrows(InvalidConfigException.class,
                () -> GradientStrategy.REVERSIBLE.config(4, 1.0, 1e-6));
        assertTrue(one.getMessage().contains("1"), one.getMessage());
        InvalidConfigException tau = assertThrows(InvalidConfigException.class,
                () -> GradientStrategy.PHANTOM.config(4, 1.2, 1e-6));
        assertTrue(tau.getMessage().contains("(0, 1]") && tau.getMessage().contains("1.2"), tau.getMessage());
    }

    @Test
    void parseIgnoresCaseAndListsTheNames() {
        assertEquals(GradientStrategy.PHANTOM, GradientStrategy.parse(" Phantom "));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> GradientStrategy.parse("adjoint"));
        assertTrue(e.getMessage().contains("'adjoint'") && e.getMessage().contains("reversible, unrolled, implicit,"
                + " phantom"), e.getMessage());
    }

    /** The no-gradient solve runs the training solve's loop: the same z* and statistics, bit for bit. */
    @ParameterizedTest
    @EnumSource(GradientStrategy.class)
    void inferEqualsTheTrainingSolve(GradientStrategy strategy) {
        TanhMlpCell cell = TanhMlpCell.random(5, 3, 0.6, 11, DataType.DOUBLE);
        State x = State.of(Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(4), 6, 3).castTo(DataType.DOUBLE));
        Deq deq = Deq.of(strategy.config(30, 0.5, 1e-4).toBuilder().precision(PrecisionPolicy.DOUBLE).build());
        DeqSolution trained = deq.solve(cell, x);
        FixedPoint inferred = deq.infer(cell, x);
        assertEquals(0.0, trained.z().maxAbsDifference(inferred.z()));
        assertArrayEquals(trained.stats().steps(), inferred.stats().steps());
        assertArrayEquals(trained.stats().finalResidual(), inferred.stats().finalResidual());
        assertTrue(inferred.stats().convergedCount() > 0, "the test problem converges within the budget");
    }

    /** A warm start at the fixed point needs fewer steps than a cold start. */
    @Test
    void warmStartFromTheFixedPointStopsSooner() {
        TanhMlpCell cell = TanhMlpCell.random(5, 3, 0.6, 11, DataType.DOUBLE);
        State x = State.of(Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(4), 6, 3).castTo(DataType.DOUBLE));
        Deq deq = Deq.of(GradientStrategy.UNROLLED.config(60, 0.5, 1e-6).toBuilder()
                .precision(PrecisionPolicy.DOUBLE).build());
        FixedPoint cold = deq.infer(cell, x);
        FixedPoint warm = deq.infer(cell, x, cold.z());
        assertTrue(warm.stats().meanSteps() < cold.stats().meanSteps(),
                "warm " + warm.stats().meanSteps() + " vs cold " + cold.stats().meanSteps());
        assertThrows(ShapeMismatchException.class, () -> deq.infer(cell, x,
                State.of(Nd4j.zeros(DataType.DOUBLE, 2, 5))));
    }
}
