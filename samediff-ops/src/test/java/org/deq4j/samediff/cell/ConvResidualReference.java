package org.deq4j.samediff.cell;

import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An independent plain-Java (float64 loops) implementation of {@link ConvResidualCell}'s formula,
 * {@code GN3(ReLU(z + GN2(x + conv2(ReLU(GN1(conv1(z)))))))}, for tests. Arrays are NCHW, flattened
 * in C order.
 */
final class ConvResidualReference {
    private final ConvResidualCell cell;

    ConvResidualReference(ConvResidualCell cell) {
        this.cell = cell;
    }

    /** f(z, x) for parameters in {@link ConvResidualCell#parameters()} order. */
    INDArray apply(INDArray z, INDArray x, List<INDArray> params) {
        long[] shape = z.shape();
        int n = (int) shape[0];
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        int e = cell.hiddenChannels();
        int i = 0;
        double[] w1 = cell.weightNorm() ? normalised(params.get(i++), params.get(i++)) : data(params.get(i++));
        double[] g1 = data(params.get(i++));
        double[] b1 = data(params.get(i++));
        double[] w2 = cell.weightNorm() ? normalised(params.get(i++), params.get(i++)) : data(params.get(i++));
        double[] g2 = data(params.get(i++));
        double[] b2 = data(params.get(i++));
        double[] g3 = data(params.get(i++));
        double[] b3 = data(params.get(i));
        double[] zd = data(z);
        double[] xd = data(x);

        double[] a = conv3x3(zd, w1, n, c, e, h, w);
        a = groupNorm(a, g1, b1, n, e, h * w);
        relu(a);
        double[] u = conv3x3(a, w2, n, e, c, h, w);
        for (int k = 0; k < u.length; k++) {
            u[k] += xd[k];
        }
        u = groupNorm(u, g2, b2, n, c, h * w);
        for (int k = 0; k < u.length; k++) {
            u[k] += zd[k];
        }
        relu(u);
        u = groupNorm(u, g3, b3, n, c, h * w);
        return Nd4j.create(u, shape, DataType.DOUBLE);
    }

    private static double[] data(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** g · v / ||v|| with the norm over each output channel's filter (the last dimension of v). */
    private static double[] normalised(INDArray v, INDArray g) {
        double[] vd = data(v);
        double[] gd = data(g);
        int outs = gd.length;
        double[] out = new double[vd.length];
        for (int o = 0; o < outs; o++) {
            double ss = 0;
            for (int k = o; k < vd.length; k += outs) {
                ss += vd[k] * vd[k];
            }
            for (int k = o; k < vd.length; k += outs) {
                out[k] = gd[o] * vd[k] / Math.sqrt(ss);
            }
        }
        return out;
    }

    /** Cross-correlation with a [3, 3, in, out] kernel and one pixel of zero padding. */
    private static double[] conv3x3(double[] in, double[] k, int n, int cin, int cout, int h, int w) {
        double[] out = new double[n * cout * h * w];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < cout; o++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        double s = 0;
                        for (int ci = 0; ci < cin; ci++) {
                            for (int ky = 0; ky < 3; ky++) {
                                int yy = y + ky - 1;
                                if (yy < 0 || yy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < 3; kx++) {
                                    int xs = xx + kx - 1;
                                    if (xs < 0 || xs >= w) {
                                        continue;
                                    }
                                    s += k[((ky * 3 + kx) * cin + ci) * cout + o] * in[((b * cin + ci) * h + yy) * w + xs];
                                }
                            }
                        }
                        out[((b * cout + o) * h + y) * w + xx] = s;
                    }
                }
            }
        }
        return out;
    }

    private double[] groupNorm(double[] v, double[] gamma, double[] beta, int n, int ch, int hw) {
        int per = cell.channelsPerGroup();
        double[] out = new double[v.length];
        for (int b = 0; b < n; b++) {
            for (int g = 0; g < ch / per; g++) {
                int start = (b * ch + g * per) * hw;
                int len = per * hw;
                double mean = 0;
                for (int k = 0; k < len; k++) {
                    mean += v[start + k];
                }
                mean /= len;
                double var = 0;
                for (int k = 0; k < len; k++) {
                    var += (v[start + k] - mean) * (v[start + k] - mean);
                }
                var /= len;
                double inv = 1.0 / Math.sqrt(var + cell.eps());
                for (int k = 0; k < len; k++) {
                    int channel = g * per + k / hw;
                    out[start + k] = (v[start + k] - mean) * inv * gamma[channel] + beta[channel];
                }
            }
        }
        return out;
    }

    private static void relu(double[] v) {
        for (int k = 0; k < v.length; k++) {
            v[k] = Math.max(0, v[k]);
        }
    }
}
