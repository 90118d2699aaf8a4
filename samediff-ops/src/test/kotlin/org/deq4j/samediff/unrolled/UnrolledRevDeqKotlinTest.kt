package org.deq4j.samediff.unrolled

import org.deq4j.samediff.cell.CellParameters
import org.deq4j.samediff.cell.ConvResidualCell
import org.deq4j.samediff.cell.GraphCells
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.nd4j.autodiff.samediff.SameDiff
import org.nd4j.linalg.api.buffer.DataType
import org.nd4j.linalg.factory.Nd4j

/** The conv cell and the unrolled baseline through their public API, from Kotlin. */
class UnrolledRevDeqKotlinTest {
    @Test
    fun `conv cell solve from Kotlin keeps the injection's shape and is reproducible from its config`() {
        val cell = ConvResidualCell.of(8, 1)
        val sd = SameDiff.create()
        val x = sd.placeHolder("x", DataType.FLOAT, -1, 8, 4, 4)
        val params = CellParameters.create(sd, cell, "deq_", 3L, DataType.FLOAT)
        val z = UnrolledRevDeq.apply(sd, cell, x, params, 0.8, 2)
        val out = sd.output(mapOf("x" to Nd4j.randn(DataType.FLOAT, 3, 8, 4, 4)), z.name())[z.name()]!!
        assertArrayEquals(longArrayOf(3, 8, 4, 4), out.shape())
        assertTrue(java.lang.Double.isFinite(out.sumNumber().toDouble()))
        // GroupNorm output: every sample of the cell's last norm has zero mean per group (affine is 1/0).
        assertEquals(0.0, out.meanNumber().toDouble(), 1e-4)
        assertEquals(cell, GraphCells.create(cell.type(), cell.config()))
    }
}
