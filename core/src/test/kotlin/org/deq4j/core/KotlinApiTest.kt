package org.deq4j.core

import org.deq4j.core.adjoint.DeqGradients
import org.deq4j.core.adjoint.ImplicitAdjoint
import org.deq4j.core.adjoint.ReversibleAdjoint
import org.deq4j.core.adjoint.UnrolledAdjoint
import org.deq4j.core.cell.Cell
import org.deq4j.core.cell.CellVjp
import org.deq4j.core.cell.FunctionalCell
import org.deq4j.core.cell.TanhMlpCell
import org.deq4j.core.config.DeqConfigs
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.core.solver.FixedPointSolver
import org.deq4j.core.solver.ReversibleSolver
import org.deq4j.core.solver.StopCriterion
import org.deq4j.core.solver.StopMode
import org.deq4j.core.state.State
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.nd4j.linalg.api.buffer.DataType
import org.nd4j.linalg.api.ndarray.INDArray
import org.nd4j.linalg.factory.Nd4j
import org.nd4j.linalg.ops.transforms.Transforms

/**
 * The public API as a Kotlin user sees it: a cell from lambdas, a configuration from the builder
 * and from a Kotlin map, solve and backward, and the exception types.
 */
class KotlinApiTest {
    private val stateSize = 5
    private val inputSize = 3
    private val batch = 4

    /** f(z, x) = tanh(z·W + x·U + b), written directly in ND4J calls; parameters are [W, U, b]. */
    private fun kotlinMlp(params: List<INDArray>): Cell {
        fun activation(z: State, x: State, p: List<INDArray>): INDArray {
            val (w, u, b) = p
            return Transforms.tanh(z.part(0).mmul(w).addi(x.part(0).mmul(u)).addiRowVector(b), false)
        }
        return FunctionalCell.builder()
            .parameters(params)
            .forward { z, x, p -> State.of(activation(z, x, p)) }
            .vjp { z, x, p, g ->
                val (w, u, _) = p
                val h = activation(z, x, p)
                val gPre = g.part(0).mul(Nd4j.onesLike(h).subi(h.mul(h)))
                CellVjp(
                    State.of(h),
                    State.of(gPre.mmul(w.transpose())),
                    State.of(gPre.mmul(u.transpose())),
                    listOf(z.part(0).transpose().mmul(gPre), x.part(0).transpose().mmul(gPre), gPre.sum(true, 0)),
                )
            }
            .initialState { x, type -> State.of(Nd4j.zeros(type, x.batchSize(), stateSize.toLong())) }
            .build()
    }

    private fun assertClose(expected: INDArray, actual: INDArray, what: String) {
        val scale = maxOf(1.0, expected.amaxNumber().toDouble())
        val diff = expected.sub(actual).amaxNumber().toDouble()
        assertTrue(diff <= 1e-10 * scale) { "$what differs by $diff (scale $scale)" }
    }

    private fun gradients(deq: Deq, cell: Cell, x: INDArray, gz: INDArray): Pair<State, DeqGradients> {
        val solution = deq.solve(cell, x)
        return solution.z() to solution.backward(State.of(gz))
    }

    @Test
    fun `lambda cell gives the same solution and gradients as TanhMlpCell`() {
        val reference = TanhMlpCell.random(stateSize, inputSize, 0.7, 21L, DataType.DOUBLE)
        val cell = kotlinMlp(reference.parameters())
        val rng = Nd4j.getRandomFactory().getNewRandomInstance(5L)
        val x = Nd4j.randn(rng, batch.toLong(), inputSize.toLong()).castTo(DataType.DOUBLE)
        val gz = Nd4j.randn(rng, batch.toLong(), stateSize.toLong()).castTo(DataType.DOUBLE)

        val configs = listOf(
            DeqConfig.builder()
                .solver(ReversibleSolver(0.8))
                .adjoint(ReversibleAdjoint())
                .maxSteps(8)
                .tol(1e-12)
                .precision(PrecisionPolicy.DOUBLE)
                .build(),
            DeqConfig.builder()
                .solver(FixedPointSolver.plain())
                .adjoint(UnrolledAdjoint())
                .maxSteps(12)
                .tol(1e-12)
                .stopMode(StopMode.ABSOLUTE)
                .precision(PrecisionPolicy.DOUBLE)
                .build(),
        )
        for (config in configs) {
            val deq = Deq.of(config)
            val (zMine, mine) = gradients(deq, cell, x, gz)
            val (zRef, ref) = gradients(deq, reference, x, gz)
            val name = config.adjoint().name()
            assertClose(zRef.part(0), zMine.part(0), "$name z*")
            assertClose(ref.gx().part(0), mine.gx().part(0), "$name dL/dx")
            assertEquals(3, mine.gParams().size)
            for (i in ref.gParams().indices) {
                assertClose(ref.gParams()[i], mine.gParams()[i], "$name dL/dθ[$i]")
            }
            assertTrue(mine.gParams()[0].norm2Number().toDouble() > 1e-3) { "$name dL/dW is zero" }
        }
    }

    @Test
    fun `a Kotlin map configures the same DEQ as the builder`() {
        val fromMap = DeqConfigs.fromMap(
            mapOf(
                "f_solver" to "fixed_point_iter",
                "f_max_iter" to 30,
                "f_tol" to "1e-4",
                "ift" to true,
                "b_max_iter" to 20,
                "state_dtype" to "float64",
                "compute_dtype" to "float64",
            ),
        )
        val built = DeqConfig.builder()
            .solver(FixedPointSolver.plain())
            .adjoint(ImplicitAdjoint(FixedPointSolver.plain(), StopCriterion(20, 1e-6, StopMode.ABSOLUTE)))
            .maxSteps(30)
            .tol(1e-4)
            .precision(PrecisionPolicy.DOUBLE)
            .build()
        assertEquals(built, fromMap)
        assertEquals(fromMap, DeqConfigs.fromMap(DeqConfigs.toMap(fromMap)))
    }

    @Test
    fun `errors surface as the documented exception types`() {
        val unknown = assertThrows<InvalidConfigException> { DeqConfigs.fromMap(mapOf("f_max_iters" to 10)) }
        assertTrue(unknown.message!!.contains("did you mean 'f_max_iter'?")) { unknown.message }
        assertThrows<InvalidConfigException> { ReversibleSolver(1.0) }
        val deq = Deq.reversible(0.8, 4)
        val cell = TanhMlpCell.random(stateSize, inputSize, 0.7, 3L, DataType.FLOAT)
        val solution = deq.solve(cell, Nd4j.rand(DataType.FLOAT, batch.toLong(), inputSize.toLong()))
        val mismatch = assertThrows<ShapeMismatchException> {
            solution.backward(State.of(Nd4j.ones(DataType.DOUBLE, batch.toLong(), stateSize + 1L)))
        }
        assertTrue(mismatch.message!!.contains("output gradient")) { mismatch.message }
    }
}
