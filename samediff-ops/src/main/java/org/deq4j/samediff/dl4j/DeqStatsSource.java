package org.deq4j.samediff.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.deq4j.core.adjoint.BackwardStats;
import org.deq4j.core.solver.SolverStats;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A DEQ vertex or layer at run time, as far as its solver statistics go: what the most recent solve
 * and backward pass spent, and counters that tell whether they are new.
 */
public interface DeqStatsSource {

    /** The vertex or layer name. */
    String deqName();

    /** Statistics of the most recent solve (training or inference), if any. */
    Optional<SolverStats> lastForwardStats();

    /** Statistics of the most recent backward pass, if any. */
    Optional<BackwardStats> lastBackwardStats();

    /** Number of solves so far. */
    long forwardCount();

    /** Number of backward passes so far. */
    long backwardCount();

    /**
     * The DEQ vertices and layers of a model, in graph order: {@link DeqVertex} vertices and
     * {@link DeqLayer} layers of a {@link ComputationGraph} (inside their layer vertices), or the
     * {@link DeqLayer} layers of a {@link MultiLayerNetwork}. Empty for other models.
     */
    static List<DeqStatsSource> in(Model model) {
        List<DeqStatsSource> found = new ArrayList<>();
        if (model instanceof ComputationGraph graph) {
            for (GraphVertex gv : graph.getVertices()) {
                if (gv instanceof DeqStatsSource v) {
                    found.add(v);
                } else if (gv.hasLayer() && gv.getLayer() instanceof DeqStatsSource v) {
                    found.add(v);
                }
            }
        } else if (model instanceof MultiLayerNetwork net) {
            for (Layer l : net.getLayers()) {
                if (l instanceof DeqStatsSource v) {
                    found.add(v);
                }
            }
        }
        return List.copyOf(found);
    }
}
