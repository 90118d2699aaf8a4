package org.deq4j.lm.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The DEQ-transformer cell written out with plain Java loops in double precision, independently of
 * SameDiff, as the value reference: {@code u = z + Attn(LN1(z + x))}, {@code f = u + MLP(LN2(u))}, with
 * the causal mask applied by only summing over earlier positions.
 */
final class ReferenceTransformer {
    private final TransformerCell cell;
    private final Map<String, INDArray> p = new HashMap<>();

    ReferenceTransformer(TransformerCell cell, List<INDArray> params) {
        this.cell = cell;
        for (int i = 0; i < params.size(); i++) {
            p.put(cell.parameters().get(i).name(), params.get(i).castTo(DataType.DOUBLE));
        }
    }

    /** f(z, x) for z, x [batch, T, d]. */
    INDArray apply(INDArray z, INDArray x) {
        long batch = z.size(0);
        int t = cell.contextLength();
        int d = cell.dModel();
        double[][][] out = new double[(int) batch][][];
        for (int b = 0; b < batch; b++) {
            double[][] zb = z.get(NDArrayIndex.point(b)).castTo(DataType.DOUBLE).toDoubleMatrix();
            double[][] xb = x.get(NDArrayIndex.point(b)).castTo(DataType.DOUBLE).toDoubleMatrix();
            double[][] sum = new double[t][d];
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    sum[i][c] = zb[i][c] + xb[i][c];
                }
            }
            double[][] attn = attention(layerNorm(sum, "ln1"));
            double[][] u = add(zb, attn);
            double[][] m = gelu(linear(layerNorm(u, "ln2"), "mlpW1", "mlpB1"));
            if (cell.twoHiddenLayers()) {
                m = gelu(linear(m, "mlpW2", "mlpB2"));
            }
            out[b] = add(u, linear(m, "mlpWout", "mlpBout"));
        }
        return Nd4j.create(out);
    }

    private double[][] attention(double[][] h) {
        int t = h.length;
        int hd = cell.headDim();
        double[][] q = linear(h, "attnWq", "attnBq");
        double[][] k = linear(h, "attnWk", "attnBk");
        double[][] v = linear(h, "attnWv", "attnBv");
        double[][] merged = new double[t][cell.dModel()];
        for (int head = 0; head < cell.heads(); head++) {
            int off = head * hd;
            for (int i = 0; i < t; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int c = 0; c < hd; c++) {
                        dot += q[i][off + c] * k[j][off + c];
                    }
                    s[j] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double norm = 0;
                for (int j = 0; j <= i; j++) {
                    s[j] = Math.exp(s[j] - max);
                    norm += s[j];
                }
                for (int j = 0; j <= i; j++) {
                    for (int c = 0; c < hd; c++) {
                        merged[i][off + c] += s[j] / norm * v[j][off + c];
                    }
                }
            }
        }
        return linear(merged, "attnWo", "attnBo");
    }

    private double[][] layerNorm(double[][] h, String name) {
        double[] gamma = p.get(name + "Gamma").toDoubleVector();
        double[] beta = p.get(name + "Beta").toDoubleVector();
        double[][] out = new double[h.length][h[0].length];
        for (int i = 0; i < h.length; i++) {
            double mean = 0;
            for (double a : h[i]) {
                mean += a / h[i].length;
            }
            double var = 0;
            for (double a : h[i]) {
                var += (a - mean) * (a - mean) / h[i].length;
            }
            for (int c = 0; c < h[i].length; c++) {
                out[i][c] = (h[i][c] - mean) / Math.sqrt(var + cell.eps()) * gamma[c] + beta[c];
            }
        }
        return out;
    }

    private double[][] linear(double[][] h, String weight, String bias) {
        double[][] w = p.get(weight).toDoubleMatrix();
        double[] b = p.get(bias).toDoubleVector();
        double[][] out = new double[h.length][b.length];
        for (int i = 0; i < h.length; i++) {
            for (int o = 0; o < b.length; o++) {
                double acc = b[o];
                for (int c = 0; c < w.length; c++) {
                    acc += h[i][c] * w[c][o];
                }
                out[i][o] = acc;
            }
        }
        return out;
    }

    private static double[][] gelu(double[][] h) {
        double[][] out = new double[h.length][h[0].length];
        for (int i = 0; i < h.length; i++) {
            for (int c = 0; c < h[i].length; c++) {
                double a = h[i][c];
                out[i][c] = 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
            }
        }
        return out;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int c = 0; c < a[i].length; c++) {
                out[i][c] = a[i][c] + b[i][c];
            }
        }
        return out;
    }
}
