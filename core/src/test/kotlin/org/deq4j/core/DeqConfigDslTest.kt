package org.deq4j.core

import org.deq4j.core.adjoint.PhantomAdjoint
import org.deq4j.core.adjoint.ReversibleAdjoint
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.core.reg.JacobianRegularization
import org.deq4j.core.solver.AndersonSolver
import org.deq4j.core.solver.FixedPointSolver
import org.deq4j.core.solver.ReversibleSolver
import org.deq4j.core.solver.StopMode
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The `deqConfig { }` DSL builds the Java builder's configurations and rejects what the builder rejects. */
class DeqConfigDslTest {

    @Test
    fun defaultsAreTheBuildersDefaults() {
        assertEquals(DeqConfig.builder().build(), deqConfig { })
    }

    @Test
    fun everySettingReachesTheConfig() {
        val config = deqConfig {
            solver { reversible(beta = 0.5) }
            adjoint = Adjoints.reversible
            maxSteps = 6
            tol = 1e-3
            stopMode = StopMode.ABSOLUTE
            precision = PrecisionPolicy.DOUBLE
            jacobianRegularization(weight = 2.0, frequency = 0.5, probes = 3)
        }
        val java = DeqConfig.builder().solver(ReversibleSolver(0.5)).adjoint(ReversibleAdjoint()).maxSteps(6)
            .tol(1e-3).stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE)
            .jacobian(JacobianRegularization(2.0, 0.5, 3)).build()
        assertEquals(java, config)
        val anderson = deqConfig {
            solver { anderson(m = 3) }
            adjoint = Adjoints.implicit(maxSteps = 20)
        }
        assertEquals(3, (anderson.solver() as AndersonSolver).m())
    }

    @Test
    fun aJacobianWeightOutOfRangeIsRejected() {
        val e = assertThrows<InvalidConfigException> { deqConfig { jacobianRegularization(weight = -1.0) } }
        assertTrue(e.message!!.contains("jac_loss_weight"), e.message)
    }

    @Test
    fun evaluationBudgetReachesTheConfigAndSurvivesStartFrom() {
        val scaled = deqConfig {
            maxSteps = 4
            evalFactor = 2.5
        }
        assertEquals(DeqConfig.builder().maxSteps(4).evalFactor(2.5).build(), scaled)
        assertEquals(10, scaled.evalStop().maxSteps())
        val fixed = deqConfig { evalMaxSteps = 9 }
        assertEquals(9, fixed.evalStop().maxSteps())
        assertEquals(fixed, deqConfig { startFrom(fixed) })
        assertEquals(scaled, deqConfig { startFrom(scaled) })
        assertThrows<InvalidConfigException> { deqConfig { evalFactor = 0.0 } }
    }

    @Test
    fun startFromANamedStrategyThenOverride() {
        val phantom = deqConfig {
            startFrom(GradientStrategy.PHANTOM.config(4, 0.5, 1e-3))
            precision = PrecisionPolicy.DOUBLE
        }
        assertEquals(FixedPointSolver(0.5), phantom.solver())
        assertEquals(PhantomAdjoint(4, 0.5), phantom.adjoint())
        assertEquals(4, phantom.stop().maxSteps())
        assertEquals(PrecisionPolicy.DOUBLE, phantom.precision())
    }

    @Test
    fun aMismatchedPairIsRejectedByName() {
        val e = assertThrows<InvalidConfigException> {
            deqConfig {
                solver { fixedPoint() }
                adjoint = Adjoints.reversible
            }
        }
        assertTrue(e.message!!.contains("reversible"), e.message)
    }
}
