package org.deq4j.core

import org.deq4j.core.adjoint.Adjoint
import org.deq4j.core.adjoint.ImplicitAdjoint
import org.deq4j.core.adjoint.PhantomAdjoint
import org.deq4j.core.adjoint.ReversibleAdjoint
import org.deq4j.core.adjoint.UnrolledAdjoint
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.core.reg.JacobianRegularization
import org.deq4j.core.solver.AndersonSolver
import org.deq4j.core.solver.BroydenSolver
import org.deq4j.core.solver.EvalBudget
import org.deq4j.core.solver.FixedPointSolver
import org.deq4j.core.solver.ReversibleSolver
import org.deq4j.core.solver.Solver
import org.deq4j.core.solver.StopCriterion
import org.deq4j.core.solver.StopMode

/** Marks the DEQ DSLs so that nested blocks cannot reach an outer block's members by accident. */
@DslMarker
annotation class DeqDsl

/**
 * Builds a [DeqConfig] from Kotlin:
 * ```
 * val config = deqConfig {
 *     solver { reversible(beta = 0.5) }
 *     adjoint = Adjoints.reversible
 *     maxSteps = 4
 *     tol = 1e-3
 *     jacobianRegularization(weight = 1.0, frequency = 0.5)
 *     evalFactor = 2.0          // inference solves take 8 steps
 * }
 * val phantom = deqConfig {
 *     startFrom(GradientStrategy.PHANTOM.config(4, 0.5, 1e-3))
 *     precision = PrecisionPolicy.DOUBLE
 * }
 * ```
 * Unset properties keep [DeqConfig.builder]'s defaults (the RevDEQ vision settings).
 *
 * @throws InvalidConfigException if a value is out of range or the adjoint cannot differentiate the
 *   solver (for example the reversible adjoint with a fixed-point solver)
 */
fun deqConfig(spec: DeqConfigSpec.() -> Unit): DeqConfig = DeqConfigSpec().apply(spec).toConfig()

/**
 * The receiver of [deqConfig]: every setting of a [DeqConfig] as a property. DSLs of DEQ layers
 * extend it, so a layer block takes the same settings with the same names and defaults.
 */
@DeqDsl
open class DeqConfigSpec {
    /** Forward solver; see also [solver] with a block. */
    var solver: Solver<*> = DEFAULTS.solver()

    /** Gradient strategy: one of [Adjoints]. */
    var adjoint: Adjoint = DEFAULTS.adjoint()

    /** Forward step budget, at least 1. */
    var maxSteps: Int = DEFAULTS.stop().maxSteps()

    /** Forward residual tolerance (units of [stopMode]). */
    var tol: Double = DEFAULTS.stop().tol()

    /** Relative or absolute forward residual. */
    var stopMode: StopMode = DEFAULTS.stop().mode()

    /** State and compute data types; in a DL4J layer the compute type must be the network's data type. */
    var precision: PrecisionPolicy = DEFAULTS.precision()

    /** Jacobian regularisation on training steps; off by default. See also [jacobianRegularization]. */
    var jacobian: JacobianRegularization = DEFAULTS.jacobian()

    /** Switches Jacobian regularisation on: weight λ > 0, per-step probability, Hutchinson probes per estimate. */
    fun jacobianRegularization(weight: Double, frequency: Double = 1.0, probes: Int = 1) {
        jacobian = JacobianRegularization(weight, frequency, probes)
    }

    /**
     * Inference budget as a multiple of [maxSteps] (torchdeq's `eval_factor`): ⌈evalFactor · maxSteps⌉
     * steps. Ignored when [evalMaxSteps] is set.
     */
    var evalFactor: Double = 1.0

    /** Inference budget in steps (torchdeq's `eval_f_max_iter`); `null` uses [evalFactor]. */
    var evalMaxSteps: Int? = null

    /** Chooses the solver: `solver { reversible(beta = 0.5) }`, `solver { anderson(m = 5) }`, ... */
    fun solver(choose: Solvers.() -> Solver<*>) {
        solver = Solvers.choose()
    }

    /** Takes every setting from [config] (for example a [GradientStrategy]'s); later lines override them. */
    fun startFrom(config: DeqConfig) {
        solver = config.solver()
        adjoint = config.adjoint()
        maxSteps = config.stop().maxSteps()
        tol = config.stop().tol()
        stopMode = config.stop().mode()
        precision = config.precision()
        jacobian = config.jacobian()
        when (val eval = config.eval()) {
            is EvalBudget.Scaled -> { evalFactor = eval.factor(); evalMaxSteps = null }
            is EvalBudget.Fixed -> { evalFactor = 1.0; evalMaxSteps = eval.maxSteps() }
        }
    }

    /**
     * The configuration these settings describe.
     *
     * @throws InvalidConfigException as [deqConfig] does
     */
    fun toConfig(): DeqConfig = DeqConfig.builder().solver(solver).adjoint(adjoint).maxSteps(maxSteps).tol(tol)
        .stopMode(stopMode).precision(precision).jacobian(jacobian)
        .eval(evalMaxSteps?.let { EvalBudget.Fixed(it) } ?: EvalBudget.Scaled(evalFactor)).build()

    private companion object {
        val DEFAULTS: DeqConfig = DeqConfig.builder().build()
    }
}

/** The forward solvers, with named arguments. */
@DeqDsl
object Solvers {
    /** RevDEQ's reversible solver; β in (0, 2), not 1. */
    fun reversible(beta: Double = 0.8): Solver<*> = ReversibleSolver(beta)

    /** Relaxed fixed-point iteration; τ in (0, 1]. */
    fun fixedPoint(tau: Double = 1.0): Solver<*> = FixedPointSolver(tau)

    /** Anderson acceleration (torchdeq's defaults); pair it with the implicit or phantom adjoint. */
    fun anderson(m: Int = AndersonSolver.defaults().m(), lambda: Double = AndersonSolver.defaults().lambda(),
                 beta: Double = AndersonSolver.defaults().beta()): Solver<*> = AndersonSolver(m, lambda, beta)

    /** Broyden's method; pair it with the implicit or phantom adjoint. */
    fun broyden(memory: Int = BroydenSolver.defaults().memory()): Solver<*> = BroydenSolver(memory)
}

/** The adjoints (gradient computations), with named arguments. */
object Adjoints {
    /** Exact gradient of the reversible solver's trajectory, memory O(1) in the steps. */
    val reversible: Adjoint get() = ReversibleAdjoint()

    /** Backpropagation through the stored trajectory, memory O(steps). */
    val unrolled: Adjoint get() = UnrolledAdjoint()

    /** Implicit-function-theorem gradient; exact at a converged fixed point. torchdeq's defaults. */
    fun implicit(maxSteps: Int = 40, tol: Double = 1e-6, stopMode: StopMode = StopMode.ABSOLUTE,
                 solver: Solver<*> = FixedPointSolver.plain()): Adjoint =
        ImplicitAdjoint(solver, StopCriterion(maxSteps, tol, stopMode))

    /** Phantom gradient: backpropagation through `k` damped steps from the fixed point. */
    fun phantom(k: Int = 1, tau: Double = 1.0): Adjoint = PhantomAdjoint(k, tau)
}
