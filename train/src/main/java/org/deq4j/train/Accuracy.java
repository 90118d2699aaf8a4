package org.deq4j.train;

import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Classification accuracy via DL4J's {@link Evaluation}: the fraction of examples whose arg-max
 * output equals the arg-max label (one-hot or probability labels {@code [batch, classes]}; time
 * series and label masks are handled by {@code Evaluation}).
 */
public final class Accuracy implements Metric {

    /** The shared instance (the metric is stateless). */
    public static final Accuracy INSTANCE = new Accuracy();

    private Accuracy() {
    }

    @Override
    public String name() {
        return "accuracy";
    }

    @Override
    public Accumulator start() {
        Evaluation evaluation = new Evaluation();
        return new Accumulator() {
            private boolean empty = true;

            @Override
            public void add(INDArray output, DataSet batch) {
                evaluation.eval(batch.getLabels(), output, batch.getLabelsMaskArray());
                empty = false;
            }

            @Override
            public double value() {
                return empty ? Double.NaN : evaluation.accuracy();
            }
        };
    }
}
