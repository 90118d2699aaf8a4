package org.deq4j.samediff.dl4j

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration
import org.deeplearning4j.nn.conf.NeuralNetConfiguration
import org.deeplearning4j.nn.conf.inputs.InputType
import org.deeplearning4j.nn.conf.layers.DenseLayer
import org.deeplearning4j.nn.conf.layers.OutputLayer
import org.deeplearning4j.nn.graph.ComputationGraph
import org.deq4j.core.Adjoints
import org.deq4j.core.DeqConfig
import org.deq4j.core.GradientStrategy
import org.deq4j.core.InvalidConfigException
import org.deq4j.core.config.NormConfig
import org.deq4j.core.deqConfig
import org.deq4j.core.adjoint.PhantomAdjoint
import org.deq4j.core.adjoint.ReversibleAdjoint
import org.deq4j.core.precision.PrecisionPolicy
import org.deq4j.core.solver.AndersonSolver
import org.deq4j.core.solver.FixedPointSolver
import org.deq4j.core.solver.ReversibleSolver
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.nd4j.linalg.activations.Activation
import org.nd4j.linalg.api.buffer.DataType
import org.nd4j.linalg.dataset.DataSet
import org.nd4j.linalg.learning.config.Adam
import org.nd4j.linalg.lossfunctions.LossFunctions

/** The Kotlin DSL builds the same vertex as the Java builder and runs inside a ComputationGraph. */
class DeqVertexDslTest {
    init {
        TanhTestCell.register()
    }

    private fun network(deq: DeqVertex): ComputationGraphConfiguration =
        NeuralNetConfiguration.Builder().seed(1).dataType(DataType.DOUBLE).updater(Adam(0.05))
            .graphBuilder()
            .addInputs("in")
            .setInputTypes(InputType.feedForward(DeqNets.IN.toLong()))
            .addLayer("dense", DenseLayer.Builder().nOut(DeqNets.HIDDEN).activation(Activation.TANH).build(), "in")
            .addVertex("deq", deq, "dense")
            .addLayer("out", OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(DeqNets.CLASSES).activation(Activation.SOFTMAX).build(), "deq")
            .setOutputs("out")
            .build()

    @Test
    fun evaluationBudgetReachesTheVertex() {
        val deq = deqVertex {
            cell = TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2)
            maxSteps = 4
            evalFactor = 3.0
        }
        assertEquals(12, deq.deqConfig().evalStop().maxSteps())
        assertEquals(4, deq.deqConfig().stop().maxSteps())
        assertEquals(9, deqLayer {
            cell = TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.2)
            evalMaxSteps = 9
        }.deqConfig().evalStop().maxSteps())
    }

    @Test
    fun dslBuildsTheJavaBuildersVertexAndTrains() {
        val deq = deqVertex {
            cell = TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5)
            solver { reversible(beta = 0.8) }
            adjoint = Adjoints.reversible
            maxSteps = 4
            precision = PrecisionPolicy.DOUBLE
            seed = 3
        }
        val java = DeqVertex.builder().cell(TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5))
            .deq(DeqConfig.builder().solver(ReversibleSolver(0.8)).adjoint(ReversibleAdjoint()).maxSteps(4)
                .precision(PrecisionPolicy.DOUBLE).build())
            .seed(3).build()
        assertEquals(java, deq)
        val javaFromKotlin = DeqVertex.build {
            it.cell = TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5)
            it.configure { c -> c.maxSteps(4).precision(PrecisionPolicy.DOUBLE) }
            it.seed = 3L
        }
        assertEquals(java, javaFromKotlin)
        val layer = deqLayer {
            cell = TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5)
            maxSteps = 4
            precision = PrecisionPolicy.DOUBLE
            seed = 3
        }
        assertEquals(DeqVertex.builder().cell(TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5))
            .configure { it.maxSteps(4).precision(PrecisionPolicy.DOUBLE) }.seed(3).buildLayer(), layer)

        val conf = network(deq)
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()))
        val net = ComputationGraph(conf).apply { init() }
        val x = DeqNets.features(5, 16)
        val data = DataSet(x, DeqNets.labels(x))
        val before = net.score(data)
        repeat(20) { net.fit(data) }
        assertTrue(net.score(data) < before, "loss decreases")
    }

    @Test
    fun gradientSwitchIsOneProperty() {
        val phantom = deqVertex {
            cell = TanhTestCell(4, 3, 0.5)
            solver { fixedPoint(tau = 0.9) }
            adjoint = Adjoints.phantom(k = 5, tau = 0.5)
        }
        assertEquals(FixedPointSolver(0.9), phantom.deqConfig().solver())
        assertEquals(PhantomAdjoint(5, 0.5), phantom.deqConfig().adjoint())
        val anderson = deqVertex {
            cell = TanhTestCell(4, 3, 0.5)
            solver { anderson(m = 3) }
            adjoint = Adjoints.implicit(maxSteps = 20)
            maxSteps = 12
        }
        assertEquals(AndersonSolver(3, AndersonSolver.defaults().lambda(), AndersonSolver.defaults().beta()),
            anderson.deqConfig().solver())
        assertEquals(anderson, DeqVertex(anderson.cellType, anderson.cellConfig, anderson.deq, anderson.seed,
            anderson.execution, anderson.dropout, anderson.norm))
    }

    @Test
    fun executionIsOneProperty() {
        val reversible = deqVertex { cell = TanhTestCell(4, 3, 0.5) }
        assertEquals(DeqExecution.AUTO, reversible.execution())
        assertEquals(DeqExecution.REVDEQ_OP, reversible.execution().resolve(reversible.deqConfig()))
        val engine = deqVertex {
            cell = TanhTestCell(4, 3, 0.5)
            execution = DeqExecution.CORE_ENGINE
        }
        assertEquals("core_engine", engine.execution)
        assertEquals(engine, DeqVertex(engine.cellType, engine.cellConfig, engine.deq, engine.seed, "core_engine",
            null, null))
    }

    @Test
    fun dropoutIsOneProperty() {
        val dropped = deqVertex {
            cell = TanhTestCell(4, 3, 0.5)
            dropout = 0.2
        }
        assertEquals(0.2, dropped.dropout().rate())
        assertEquals(dropped, DeqVertex(dropped.cellType, dropped.cellConfig, dropped.deq, dropped.seed,
            dropped.execution, 0.2, null))
        assertEquals(0.0, deqVertex { cell = TanhTestCell(4, 3, 0.5) }.dropout, "off by default")
        assertThrows<InvalidConfigException> { deqVertex { cell = TanhTestCell(4, 3, 0.5); dropout = 1.0 } }
    }

    @Test
    fun normIsOneProperty() {
        val sn = deqVertex {
            cell = TanhTestCell(4, 3, 0.5)
            norm = NormConfig.spectralNorm().withPowerIterations(3)
        }
        assertEquals(NormConfig.spectralNorm().withPowerIterations(3), sn.norm())
        assertEquals(mapOf("norm_type" to "spectral_norm", "norm_no_scale" to false, "norm_target_norm" to 1.0,
            "norm_clip" to false, "sn_n_power_iters" to 3), sn.norm)
        assertEquals(sn, DeqVertex(sn.cellType, sn.cellConfig, sn.deq, sn.seed, sn.execution, null, sn.norm))
        assertEquals(NormConfig.NONE, deqVertex { cell = TanhTestCell(4, 3, 0.5) }.norm())
    }

    @Test
    fun badConfigurationsThrow() {
        val e = assertThrows<InvalidConfigException> {
            deqVertex {
                cell = TanhTestCell(4, 3, 0.5)
                solver { fixedPoint() }
                adjoint = Adjoints.reversible
            }
        }
        assertTrue(e.message!!.contains("reversible adjoint"), e.message)
        assertThrows<InvalidConfigException> { deqVertex { maxSteps = 2 } }
    }

    /** A vertex block takes deqConfig's settings: the same block body gives the same DeqConfig. */
    @Test
    fun vertexSettingsAreDeqConfigSettings() {
        val config = deqConfig {
            startFrom(GradientStrategy.IMPLICIT.config(6, 0.7, 1e-4))
            precision = PrecisionPolicy.DOUBLE
        }
        val vertex = deqVertex {
            cell = TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5)
            startFrom(GradientStrategy.IMPLICIT.config(6, 0.7, 1e-4))
            precision = PrecisionPolicy.DOUBLE
        }
        assertEquals(DeqVertex.builder().cell(TanhTestCell(DeqNets.STATE, DeqNets.HIDDEN, 0.5)).deq(config).build(),
            vertex)
    }
}
