package org.deq4j.train;

import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test data: {@code n} points of {@code classes} Gaussian blobs in {@code features} dimensions (double),
 * one-hot labels, shuffled per epoch from (seed, epoch), so batches depend only on the position.
 */
final class BlobIterator extends EpochIterator {
    private static final long serialVersionUID = 1L;

    private final double[][] x;
    private final int[] y;
    private final int classes;

    BlobIterator(int n, int features, int classes, int batch, long dataSeed, long orderSeed) {
        super(EpochCursor.shuffled(n, "blob points", batch, false, epoch -> orderSeed * 31 + epoch));
        SplittableRandom r = new SplittableRandom(dataSeed);
        double[][] centres = new double[classes][features];
        for (double[] c : centres) {
            for (int j = 0; j < features; j++) {
                c[j] = 3 * r.nextDouble(-1, 1);
            }
        }
        this.x = new double[n][features];
        this.y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < features; j++) {
                x[i][j] = centres[y[i]][j] + gaussian(r);
            }
        }
        this.classes = classes;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Override
    protected DataSet take(int m) {
        int[] o = cursor.order();
        int start = cursor.offset();
        double[][] f = new double[m][];
        double[][] l = new double[m][classes];
        for (int i = 0; i < m; i++) {
            f[i] = x[o[start + i]];
            l[i][y[o[start + i]]] = 1;
        }
        cursor.advance(m);
        return new DataSet(Nd4j.create(f).castTo(DataType.DOUBLE), Nd4j.create(l).castTo(DataType.DOUBLE));
    }

    @Override
    public int inputColumns() {
        return x[0].length;
    }

    @Override
    public int totalOutcomes() {
        return classes;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        throw new UnsupportedOperationException();
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return null;
    }

    @Override
    public List<String> getLabels() {
        return null;
    }
}
