package org.deq4j.train;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test data: {@code n} points of {@code classes} Gaussian blobs in {@code features} dimensions (double),
 * one-hot labels, shuffled per epoch from (seed, epoch), so batches depend only on the position.
 */
final class BlobIterator implements ResumableIterator {
    private static final long serialVersionUID = 1L;

    private final double[][] x;
    private final int[] y;
    private final int classes;
    private final int batch;
    private final long seed;
    private int epoch;
    private int cursor;

    BlobIterator(int n, int features, int classes, int batch, long dataSeed, long orderSeed) {
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
        this.batch = batch;
        this.seed = orderSeed;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private int[] order() {
        int[] o = new int[x.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 31 + epoch);
        for (int i = o.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    @Override
    public StreamPosition streamPosition() {
        return new StreamPosition(epoch, cursor);
    }

    @Override
    public void seekStream(StreamPosition p) {
        epoch = p.epoch();
        cursor = (int) p.offset();
    }

    @Override
    public OptionalLong itemsPerEpoch() {
        return OptionalLong.of(x.length);
    }

    @Override
    public boolean hasNext() {
        return cursor < x.length;
    }

    @Override
    public DataSet next() {
        return next(batch);
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int m = Math.min(num, x.length - cursor);
        int[] o = order();
        double[][] f = new double[m][];
        double[][] l = new double[m][classes];
        for (int i = 0; i < m; i++) {
            f[i] = x[o[cursor + i]];
            l[i][y[o[cursor + i]]] = 1;
        }
        cursor += m;
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
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public void reset() {
        if (cursor > 0) {
            epoch++;
            cursor = 0;
        }
    }

    @Override
    public int batch() {
        return batch;
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
