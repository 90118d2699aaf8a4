package org.deq4j.samediff.dl4j

import org.deq4j.core.DeqConfigSpec
import org.deq4j.core.DeqDsl
import org.deq4j.core.config.NormConfig
import org.deq4j.samediff.cell.GraphCell
import org.nd4j.linalg.learning.config.IUpdater

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
 * The DEQ settings are [org.deq4j.core.deqConfig]'s (the same names and defaults); unset ones keep
 * [org.deq4j.core.DeqConfig.builder]'s defaults (RevDEQ vision settings) and [DeqVertex.builder]'s seed.
 *
 * @throws org.deq4j.core.InvalidConfigException if no cell is set, a value is out of range, or the
 *   adjoint cannot differentiate the solver (for example the reversible adjoint with a fixed-point solver)
 */
fun deqVertex(spec: DeqVertexSpec.() -> Unit): DeqVertex = DeqVertexSpec().apply(spec).builder().build()

/** The same as [deqVertex], as a [DeqLayer] for a `MultiLayerNetwork`'s list builder. */
fun deqLayer(spec: DeqVertexSpec.() -> Unit): DeqLayer = DeqVertexSpec().apply(spec).builder().buildLayer()

/**
 * The receiver of [deqVertex] and [deqLayer]: the DEQ settings of [DeqConfigSpec] plus the layer's own
 * (cell, seed, updater, execution, dropout, norm).
 */
@DeqDsl
class DeqVertexSpec internal constructor() : DeqConfigSpec() {
    /** The cell f. Required. */
    var cell: GraphCell? = null

    /** Seed of the parameter initialisation. */
    var seed: Long = DeqVertex.builder().seed

    /** An updater for this vertex only; by default the network's global updater. */
    var updater: IUpdater? = null

    /** What runs the DEQ: by default the RevDEQ op for the reversible pair, the core engine otherwise. */
    var execution: DeqExecution = DeqExecution.AUTO

    /**
     * Locked (variational) dropout rate inside the cell, in [0, 1): one mask per training step shared by
     * every solver iteration and the backward pass, none at evaluation; 0 (the default) is off.
     */
    var dropout: Double = 0.0

    /**
     * Weight or spectral normalisation of the cell's weights, e.g. `NormConfig.spectralNorm()`;
     * by default none ([org.deq4j.samediff.cell.CellNormalisation]).
     */
    var norm: NormConfig = NormConfig.NONE

    internal fun builder(): DeqVertex.Builder {
        val b = DeqVertex.builder().deq(toConfig()).seed(seed).execution(execution).dropout(dropout).norm(norm)
        cell?.let { b.cell(it) }
        updater?.let { b.updater(it) }
        return b
    }
}
