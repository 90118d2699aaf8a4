package org.deq4j.samediff.op

import org.deq4j.core.InvalidConfigException
import org.deq4j.core.deqConfig
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.samediff.cell.MlpCell
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import org.nd4j.autodiff.samediff.SameDiff
import org.nd4j.linalg.api.buffer.DataType
import org.nd4j.linalg.factory.Nd4j

/** The public API from Kotlin: builder, parameter helper, gradient of a RevDEQ graph against finite differences. */
class RevDeqKotlinTest {

    @Test
    fun `gradient of the bias matches central finite differences`() {
        val sd = SameDiff.create()
        val x = sd.placeHolder("x", DataType.DOUBLE, -1, 4)
        val cell = MlpCell(6, 4)
        val theta = RevDeq.createParameters(sd, cell, "k_", 5, DataType.DOUBLE)
        theta[0].arr.muli(0.4) // keep W contractive
        val deq = RevDeq.of(cell, deqConfig {
            solver { reversible(beta = 1.2) }
            maxSteps = 3
            tol = 1e-12
            precision = PrecisionPolicy.DOUBLE
        })
        val loss = deq.apply(sd, x, theta).mul(sd.constant(Nd4j.linspace(DataType.DOUBLE, 1.0, 12.0, 12).reshape(2, 6))).sum()
        loss.markAsLoss()
        val ph = mapOf("x" to Nd4j.randn(DataType.DOUBLE, 2, 4))
        val grad = sd.calculateGradients(ph, "k_b")["k_b"]!!
        val b = theta[2].arr
        val eps = 1e-6
        fun lossAt(v: Double): Double {
            b.putScalar(0, 3, v)
            return sd.output(ph, loss.name())[loss.name()]!!.getDouble(0)
        }
        val orig = b.getDouble(0, 3)
        val fd = (lossAt(orig + eps) - lossAt(orig - eps)) / (2 * eps)
        lossAt(orig)
        assertEquals(fd, grad.getDouble(0, 3), 1e-6 * maxOf(1.0, Math.abs(fd)))
    }

    @Test
    fun `beta of one is rejected`() {
        assertThrows(InvalidConfigException::class.java) {
            RevDeq.of(MlpCell(2, 2), deqConfig { solver { reversible(beta = 1.0) } })
        }
    }
}
