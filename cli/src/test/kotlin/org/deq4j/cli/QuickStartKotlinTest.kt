package org.deq4j.cli

import org.deq4j.core.Deq
import org.deq4j.core.cell.TanhMlpCell
import org.deq4j.core.state.State
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.nd4j.linalg.api.buffer.DataType
import org.nd4j.linalg.factory.Nd4j
import java.io.PrintWriter
import java.io.StringWriter

/** The README's Kotlin quick start, compiled and run as written, and the CLI called from Kotlin. */
class QuickStartKotlinTest {

    @Test
    fun readmeQuickStartSolvesAndDifferentiates() {
        val cell = TanhMlpCell.random(16, 8, 0.5, 1L, DataType.FLOAT)
        val x = Nd4j.rand(DataType.FLOAT, 4, 8)

        val deq = Deq.reversible(0.8, 4)
        val sol = deq.solve(cell, x)
        val g = sol.backward(State.of(Nd4j.onesLike(sol.z().part(0))))

        // 4 steps, every sample: the budget is what the quick start promises
        assertEquals(4, sol.stats().maxSteps())
        val gw = g.gParams()[0].norm2Number().toDouble()
        assertTrue(gw.isFinite() && gw > 0.0, "dL/dW norm $gw")
        assertEquals(cell.parameters().size, g.gParams().size)
        cell.parameters().zip(g.gParams()).forEach { (p, gp) -> assertArrayEquals(p.shape(), gp.shape()) }
        assertArrayEquals(x.shape(), g.gx().part(0).shape())
    }

    @Test
    fun versionComesFromTheBuild() {
        val out = StringWriter()
        val cli = Main.commandLine()
        cli.setOut(PrintWriter(out))
        assertEquals(0, cli.execute("--version"))
        val text = out.toString()
        assertTrue(text.startsWith("deq4j ") && !text.contains("\${") && !text.contains("unknown"), text)
    }
}
