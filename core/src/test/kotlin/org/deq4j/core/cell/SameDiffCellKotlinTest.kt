package org.deq4j.core.cell

import org.deq4j.core.Deq
import org.deq4j.core.DeqConfig
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.core.state.State
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.nd4j.linalg.api.buffer.DataType
import org.nd4j.linalg.factory.Nd4j

/** The SameDiffCell builder as a Kotlin user writes it, checked against the hand-written TanhMlpCell. */
class SameDiffCellKotlinTest {

    @Test
    fun kotlinDefinedCellMatchesTanhMlpCellThroughADeqSolve() {
        val ref = TanhMlpCell.random(8, 3, 0.8, 21, DataType.DOUBLE)
        val (w, u, b) = ref.parameters()
        val cell = SameDiffCell.builder()
            .state("z", 8)
            .injection("x", 3)
            .parameter("W", w)
            .parameter("U", u)
            .parameter("b", b)
            .define { g ->
                val pre = g.z().mmul(g.param("W")).add(g.x().mmul(g.param("U"))).add(g.param("b"))
                listOf(g.sd().math().tanh(pre))
            }
            .build()

        val x = State.of(Nd4j.randn(DataType.DOUBLE, 4, 3))
        val gz = State.of(Nd4j.randn(DataType.DOUBLE, 4, 8))
        val deq = Deq.of(DeqConfig.builder().precision(PrecisionPolicy.DOUBLE).maxSteps(5).build())
        val expected = deq.solve(ref, x).backward(gz)
        val actual = deq.solve(cell, x).backward(gz)

        assertTrue(expected.gx().maxAbsDifference(actual.gx()) < 1e-11)
        expected.gParams().zip(actual.gParams()).forEach { (e, a) ->
            assertTrue(State.of(e).maxAbsDifference(State.of(a)) < 1e-11)
        }
    }
}
