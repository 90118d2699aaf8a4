package org.deq4j.samediff.dl4j

import org.deq4j.core.DeqConfig
import org.deq4j.core.adjoint.Adjoint
import org.deq4j.core.adjoint.ImplicitAdjoint
import org.deq4j.core.adjoint.PhantomAdjoint
import org.deq4j.core.adjoint.ReversibleAdjoint
import org.deq4j.core.adjoint.UnrolledAdjoint
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.core.solver.AndersonSolver
import org.deq4j.core.solver.BroydenSolver
import org.deq4j.core.solver.FixedPointSolver
import org.deq4j.core.solver.ReversibleSolver
import org.deq4j.core.solver.Solver
import org.deq4j.core.solver.StopCriterion
import org.deq4j.core.solver.StopMode
import org.deq4j.samediff.cell.GraphCell
import org.nd4j.linalg.learning.config.IUpdater

/** Marks the DEQ vertex DSL so that nested blocks cannot reach an outer block's members by accident. */
@DslMarker
annotation class DeqDsl

/**
 * Builds a [DeqVertex] from Kotlin:
 * ```
 * val deq = deqVertex {
 *     cell = ConvResidualCell.of(64, 2)
 *     solver { reversible(beta = 0.8) }
 *     adjoint = Adjoints.reversible
 *     maxSteps = 4
 * }
 * graphBuilder.addVertex("deq", deq, "stem")
 * ```
 * Unset properties keep [DeqConfig.builder]'s defaults (RevDEQ vision settings) and [DeqVertex.builder]'s seed.
 *
 * @throws org.deq4j.core.InvalidConfigException if no cell is set, a value is out of range, or the
 *   adjoint cannot differentiate the solver (for example the reversible adjoint with a fixed-point solver)
 */
fun deqVertex(spec: DeqVertexSpec.() -> Unit): DeqVertex = DeqVertexSpec().apply(spec).builder().build()

/** The same as [deqVertex], as a [DeqLayer] for a `MultiLayerNetwork`'s list builder. */
fun deqLayer(spec: DeqVertexSpec.() -> Unit): DeqLayer = DeqVertexSpec().apply(spec).builder().buildLayer()

/** The receiver of [deqVertex] and [deqLayer]: every setting of a DEQ as a property. */
@DeqDsl
class DeqVertexSpec internal constructor() {
    private val defaults: DeqConfig = DeqConfig.builder().build()

    /** The cell f. Required. */
    var cell: GraphCell? = null

    /** Forward solver; see also [solver] with a block. */
    var solver: Solver<*> = defaults.solver()

    /** Gradient strategy: one of [Adjoints]. */
    var adjoint: Adjoint = defaults.adjoint()

    /** Forward step budget. */
    var maxSteps: Int = defaults.stop().maxSteps()

    /** Forward residual tolerance (units of [stopMode]). */
    var tol: Double = defaults.stop().tol()

    /** Relative or absolute forward residual. */
    var stopMode: StopMode = defaults.stop().mode()

    /** State and compute data types; the compute type must be the network's data type. */
    var precision: PrecisionPolicy = defaults.precision()

    /** Seed of the parameter initialisation. */
    var seed: Long = DeqVertex.builder().seed

    /** An updater for this vertex only; by default the network's global updater. */
    var updater: IUpdater? = null

    /** What runs the DEQ: by default the RevDEQ op for the reversible pair, the core engine otherwise. */
    var execution: DeqExecution = DeqExecution.AUTO

    /** Chooses the solver: `solver { reversible(beta = 0.5) }`, `solver { anderson(m = 5) }`, ... */
    fun solver(choose: Solvers.() -> Solver<*>) {
        solver = Solvers.choose()
    }

    internal fun builder(): DeqVertex.Builder {
        val config = DeqConfig.builder().solver(solver).adjoint(adjoint).maxSteps(maxSteps).tol(tol)
            .stopMode(stopMode).precision(precision).build()
        val b = DeqVertex.builder().deq(config).seed(seed).execution(execution)
        cell?.let { b.cell(it) }
        updater?.let { b.updater(it) }
        return b
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

/** The gradient strategies. */
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
