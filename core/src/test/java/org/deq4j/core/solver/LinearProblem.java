package org.deq4j.core.solver;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.cell.FunctionalCell;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A linear fixed-point problem {@code z = s·A·z + b} per sample, with {@code A = Q·diag(λ)·Qᵀ}
 * for a random orthogonal Q, so its difficulty is set by the eigenvalues. The state may be a tuple
 * of arrays of any rank: the cell flattens it per sample. The exact solution comes from a dense
 * Gaussian elimination in plain Java, independent of every solver under test.
 */
final class LinearProblem {
    private final double[][] a;
    private final int dim;

    private LinearProblem(double[][] a) {
        this.a = a;
        this.dim = a.length;
    }

    /** A symmetric matrix with the given eigenvalues and random eigenvectors. */
    static LinearProblem symmetric(double[] eigenvalues, long seed) {
        int d = eigenvalues.length;
        double[][] q = randomOrthogonal(d, new Random(seed));
        double[][] a = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += q[i][k] * eigenvalues[k] * q[j][k];
                }
                a[i][j] = s;
            }
        }
        return new LinearProblem(a);
    }

    int dim() {
        return dim;
    }

    /**
     * The cell {@code f(z, x) = s·(A·flat(z)) + b}; {@code x} holds {@code b} (batch, dim) and,
     * optionally, a per-sample scale {@code s} (batch, 1). The state's parts have the given
     * per-sample shapes, whose sizes must add up to {@link #dim()}.
     */
    Cell cell(long[]... partShapes) {
        INDArray at = Nd4j.createFromArray(a).transpose().dup();
        return FunctionalCell.builder()
                .forward((z, x, p) -> State.of(split(image(at, z, x), partShapes)))
                .vjp((z, x, p, g) -> {
                    INDArray gFlat = flatten(g);
                    INDArray az = flatten(z).mmul(at);
                    INDArray gScaled = x.size() > 1 ? gFlat.mulColumnVector(x.part(1)) : gFlat;
                    State gz = State.of(split(gScaled.mmul(at.transpose()), partShapes));
                    State gx = x.size() > 1 ? State.of(gFlat.dup(), gFlat.mul(az).sum(true, 1)) : State.of(gFlat.dup());
                    return new CellVjp(State.of(split(image(at, z, x), partShapes)), gz, gx, List.of());
                })
                .initialState((x, type) -> {
                    List<INDArray> parts = new ArrayList<>();
                    for (long[] s : partShapes) {
                        parts.add(Nd4j.zeros(type, withBatch(x.batchSize(), s)));
                    }
                    return State.of(parts);
                })
                .build();
    }

    /** The exact fixed point of each sample: {@code (I − s_i·A)·z_i = b_i}. */
    double[][] solve(double[][] b, double[] scales) {
        double[][] out = new double[b.length][];
        for (int i = 0; i < b.length; i++) {
            double[][] m = new double[dim][dim];
            for (int r = 0; r < dim; r++) {
                for (int c = 0; c < dim; c++) {
                    m[r][c] = (r == c ? 1 : 0) - scales[i] * a[r][c];
                }
            }
            out[i] = gaussianSolve(m, b[i].clone());
        }
        return out;
    }

    /** A state's samples flattened over all parts, as (batch, dim) doubles. */
    static double[][] flat(State s) {
        return flatten(s).castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    private static INDArray image(INDArray at, State z, State x) {
        INDArray out = flatten(z).mmul(at);
        if (x.size() > 1) {
            out.muliColumnVector(x.part(1));
        }
        return out.addi(x.part(0));
    }

    private static INDArray flatten(State s) {
        long n = s.batchSize();
        INDArray[] flat = new INDArray[s.size()];
        for (int i = 0; i < s.size(); i++) {
            flat[i] = s.part(i).reshape('c', n, s.part(i).length() / n);
        }
        return flat.length == 1 ? flat[0].dup() : Nd4j.hstack(flat);
    }

    private static List<INDArray> split(INDArray flat, long[][] partShapes) {
        long n = flat.size(0);
        List<INDArray> parts = new ArrayList<>();
        long off = 0;
        for (long[] s : partShapes) {
            long len = 1;
            for (long d : s) {
                len *= d;
            }
            parts.add(flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + len)).dup('c')
                    .reshape('c', withBatch(n, s)));
            off += len;
        }
        return parts;
    }

    private static long[] withBatch(long batch, long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = batch;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    private static double[][] randomOrthogonal(int d, Random rng) {
        double[][] q = new double[d][d];
        for (int c = 0; c < d; c++) {
            double[] v = new double[d];
            for (int r = 0; r < d; r++) {
                v[r] = rng.nextGaussian();
            }
            for (int k = 0; k < c; k++) {
                double dot = 0;
                for (int r = 0; r < d; r++) {
                    dot += v[r] * q[r][k];
                }
                for (int r = 0; r < d; r++) {
                    v[r] -= dot * q[r][k];
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int r = 0; r < d; r++) {
                q[r][c] = v[r] / norm;
            }
        }
        return q;
    }

    private static double[] gaussianSolve(double[][] m, double[] rhs) {
        int n = rhs.length;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[p][c])) {
                    p = r;
                }
            }
            double[] row = m[c];
            m[c] = m[p];
            m[p] = row;
            double t = rhs[c];
            rhs[c] = rhs[p];
            rhs[p] = t;
            for (int r = c + 1; r < n; r++) {
                double f = m[r][c] / m[c][c];
                for (int k = c; k < n; k++) {
                    m[r][k] -= f * m[c][k];
                }
                rhs[r] -= f * rhs[c];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = rhs[r];
            for (int k = r + 1; k < n; k++) {
                s -= m[r][k] * x[k];
            }
            x[r] = s / m[r][r];
        }
        return x;
    }
}
