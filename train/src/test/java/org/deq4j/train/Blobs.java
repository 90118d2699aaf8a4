package org.deq4j.train;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test data: {@code n} points of {@code classes} Gaussian blobs in {@code features} dimensions (double),
 * one-hot labels, shuffled per epoch from (seed, epoch), so batches depend only on the position.
 */
final class Blobs {
    private final double[][] x;
    private final int[] y;
    private final int classes;

    private Blobs(int n, int features, int classes, long dataSeed) {
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

    /** An iterator over the blobs drawn from {@code dataSeed}, visited in an order drawn from {@code orderSeed}. */
    static EpochIterator iterator(int n, int features, int classes, int batch, long dataSeed, long orderSeed) {
        Blobs blobs = new Blobs(n, features, classes, dataSeed);
        EpochCursor cursor = EpochCursor.shuffled(n, "blob points", batch, false, epoch -> orderSeed * 31 + epoch);
        return EpochIterator.of(cursor, features, classes, null, blobs::assemble);
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private DataSet assemble(EpochCursor cursor, int m) {
        int[] o = cursor.order();
        int start = cursor.offset();
        double[][] f = new double[m][];
        double[][] l = new double[m][classes];
        for (int i = 0; i < m; i++) {
            f[i] = x[o[start + i]];
            l[i][y[o[start + i]]] = 1;
        }
        return new DataSet(Nd4j.create(f).castTo(DataType.DOUBLE), Nd4j.create(l).castTo(DataType.DOUBLE));
    }
}
