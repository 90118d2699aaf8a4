package org.deq4j.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/** Runs a {@link Metric} over data with a graph in inference mode. */
public final class Evaluator {

    private Evaluator() {
    }

    /**
     * The metric over every batch of {@code data}, from a reset iterator to its end (the iterator is
     * reset before and after, so it can be reused). Uses {@code graph.output(false, ...)}: no dropout,
     * batch-norm running statistics; the parameters are not changed.
     */
    public static double evaluate(ComputationGraph graph, DataSetIterator data, Metric metric) {
        Metric.Accumulator acc = metric.start();
        data.reset();
        while (data.hasNext()) {
            DataSet batch = data.next();
            acc.add(output(graph, batch), batch);
        }
        data.reset();
        return acc.value();
    }

    /** The graph's first output for {@code batch}'s features (and feature mask), inference mode. */
    public static INDArray output(ComputationGraph graph, DataSet batch) {
        INDArray mask = batch.getFeaturesMaskArray();
        return graph.output(false, new INDArray[] {batch.getFeatures()}, mask == null ? null : new INDArray[] {mask})[0];
    }
}
