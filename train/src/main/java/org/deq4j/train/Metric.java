package org.deq4j.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A quality measure computed from model outputs over one or more batches, e.g. {@link Accuracy}
 * for classifiers or perplexity for language models (deq4j-lm). The {@link Trainer} uses one for the
 * training-batch column of its reports and for the per-epoch evaluation.
 */
public interface Metric {

    /** Column name in reports and the CSV, e.g. {@code accuracy}; letters, digits and '_' only. */
    String name();

    /** A fresh, empty accumulator. */
    Accumulator start();

    /** Accumulates batches; not thread-safe. */
    interface Accumulator {

        /**
         * Adds one batch.
         *
         * @param output the model's (first) output for {@code batch.getFeatures()}, inference mode
         * @param batch  the batch, with labels and optional label mask
         */
        void add(INDArray output, DataSet batch);

        /** The metric over all batches added; NaN if none. */
        double value();
    }
}
