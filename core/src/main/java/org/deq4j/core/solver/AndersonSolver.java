package org.deq4j.core.solver;

import java.util.Arrays;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Type-II Anderson acceleration, as torchdeq's {@code anderson_solver}. Each sample keeps its last
 * {@code m} iterates {@code x_i} and residuals {@code g_i = f(x_i) − x_i} (the state flattened
 * over all tuple parts) and takes the step
 * <pre>
 *   α = argmin ‖Σ α_i g_i‖² + λ'‖α‖²  subject to  Σ α_i = 1
 *   z ← Σ α_i x_i + β·Σ α_i g_i        (= (1−β)·Σ α_i x_i + β·Σ α_i f(x_i))
 * </pre>
 * by solving {@code (GGᵀ + λ'I)·w = 1}, {@code α = w / Σw} per sample. Unlike torchdeq, whose
 * {@code lam} is added as is, the regularisation is relative to the residual scale,
 * {@code λ' = λ·tr(GGᵀ)/n} over the {@code n} stored residuals: an absolute λ dominates the Gram
 * matrix once residuals fall below √λ and stalls the solve short of tight tolerances.
 *
 * <p>A sample whose system cannot be solved (all stored residuals zero, a non-positive Cholesky
 * pivot, non-finite weights) takes a plain relaxed step {@code z ← z + β·(f(z) − z)} instead; the
 * count is in {@link History#fallbacks()}. One cell evaluation per step; the history costs
 * {@code 2·m} states of memory and each step {@code O(m·batch·dim)} arithmetic on top of the cell.
 *
 * <p>Not differentiable by the unrolled adjoint: pair it with the implicit or phantom adjoint, or
 * use it as the implicit adjoint's backward solver.
 *
 * @param m      history size, at least 1 (torchdeq: 6); {@code m = 1} is relaxed fixed-point iteration
 * @param lambda relative Tikhonov regularisation of the least squares, positive (torchdeq: 1e-4)
 * @param beta   relaxation (torchdeq's {@code tau}) in (0, 1]
 */
public record AndersonSolver(int m, double lambda, double beta) implements Solver<AndersonSolver.Iterate> {

    /** The current iterate, its image and the history the next step mixes. */
    public record Iterate(State z, State fz, History history) implements org.deq4j.core.solver.Iterate {
    }

    public AndersonSolver {
        if (m < 1) {
            throw new InvalidConfigException("anderson history size m must be at least 1, got " + m);
        }
        if (!(lambda > 0) || Double.isInfinite(lambda)) {
            throw new InvalidConfigException("anderson regularisation lambda must be positive and finite, got "
                    + lambda);
        }
        if (!(beta > 0 && beta <= 1)) {
            throw new InvalidConfigException("anderson relaxation beta must be in (0, 1], got " + beta);
        }
    }

    /** torchdeq's default values m = 6, λ = 1e-4, β = 1 (λ relative here, see above). */
    public static AndersonSolver defaults() {
        return new AndersonSolver(6, 1e-4, 1.0);
    }

    @Override
    public String name() {
        return "anderson";
    }

    @Override
    public int evaluationsPerStep() {
        return 1;
    }

    @Override
    public Iterate init(Cell cell, State x, State z0) {
        State z = z0.dup();
        State fz = cell.apply(z, x);
        z.requireSameShape(fz, "cell output f(z)", false);
        History h = new History(FlatLayout.of(z), m, z.dataType());
        h.push(z, fz);
        return new Iterate(z, fz, h);
    }

    @Override
    public void step(Cell cell, State x, Iterate it, ActiveSet active) {
        History h = it.history();
        State candidate = h.mix(lambda, beta, active.flags());
        active.update(it.z(), candidate);
        active.update(it.fz(), cell.apply(it.z(), x));
        h.push(it.z(), it.fz());
    }

    /**
     * The per-sample history of iterates and residuals, in ring buffers allocated once per solve:
     * the newest entry overwrites the oldest. Samples frozen by the loop still receive entries
     * (copies of their unchanged iterate); duplicates only split the weight of one point and
     * never reach a frozen sample's output.
     */
    public static final class History {
        private final FlatLayout layout;
        private final int m;
        private final int batch;
        /** (batch, m, dim): stored iterates x_i. */
        private final INDArray xs;
        /** (batch, m, dim): stored residuals g_i = f(x_i) − x_i. */
        private final INDArray gs;
        /** Gram matrices g_i·g_j, sample-major (batch, m, m), kept up to date one row per push. */
        private final double[] gram;
        private final INDArray zFlat;
        private final INDArray gFlat;
        private final INDArray mixed;
        private final INDArray dots;
        private int size;
        private int newest = -1;
        private long fallbacks;

        History(FlatLayout layout, int m, DataType type) {
            this.layout = layout;
            this.m = m;
            this.batch = Math.toIntExact(layout.batch());
            long dim = layout.dim();
            xs = Nd4j.zeros(type, batch, m, dim);
            gs = Nd4j.zeros(type, batch, m, dim);
            gram = new double[batch * m * m];
            zFlat = Nd4j.zeros(type, batch, dim);
            gFlat = Nd4j.zeros(type, batch, dim);
            mixed = Nd4j.zeros(type, batch, dim);
            dots = Nd4j.zeros(type, batch, m, 1);
        }

        /** Entries stored (at most m). */
        public int size() {
            return size;
        }

        /** Per-sample steps so far that fell back to a plain relaxed step. */
        public long fallbacks() {
            return fallbacks;
        }

        /** Stores {@code z} and {@code fz − z} in the oldest slot and updates that Gram row. */
        void push(State z, State fz) {
            layout.gather(z, zFlat);
            layout.gather(fz, gFlat);
            gFlat.subi(zFlat);
            newest = (newest + 1) % m;
            size = Math.min(size + 1, m);
            slot(xs, newest).assign(zFlat);
            slot(gs, newest).assign(gFlat);
            Nd4j.matmul(gs, gFlat.reshape('c', batch, layout.dim(), 1), dots);
            double[] d = dots.reshape(dots.length()).toDoubleVector();
            for (int b = 0; b < batch; b++) {
                int base = b * m * m;
                for (int j = 0; j < m; j++) {
                    gram[base + newest * m + j] = d[b * m + j];
                    gram[base + j * m + newest] = d[b * m + j];
                }
            }
        }

        /**
         * The next iterate {@code Σα_i x_i + β·Σα_i g_i} for every sample, as a state view over a
         * reused buffer. Inactive samples ({@code active[b]} false) get a plain relaxed step, which
         * is finite and is discarded by the caller.
         */
        State mix(double lambda, double beta, boolean[] active) {
            double[] alpha = new double[batch * m];
            for (int b = 0; b < batch; b++) {
                if (!(active[b] && solveWeights(b, lambda, alpha))) {
                    if (active[b]) {
                        fallbacks++;
                    }
                    Arrays.fill(alpha, b * m, (b + 1) * m, 0.0);
                    alpha[b * m + newest] = 1.0;
                }
            }
            INDArray a = Nd4j.createFromArray(alpha).reshape('c', batch, 1, m).castTo(xs.dataType());
            INDArray out = mixed.reshape('c', batch, 1, layout.dim());
            Nd4j.matmul(a, xs, out);
            Nd4j.exec(new Mmul(a.muli(beta), gs, out, 1.0, 1.0, MMulTranspose.allFalse()));
            return layout.scatter(mixed);
        }

        /**
         * Solves the regularised least squares of sample {@code b} into {@code alpha[b·m ..]}
         * by Cholesky; false when the system is singular or the weights are not finite.
         */
        private boolean solveWeights(int b, double lambda, double[] alpha) {
            int n = size;
            int base = b * m * m;
            double trace = 0;
            for (int i = 0; i < n; i++) {
                trace += gram[base + i * m + i];
            }
            if (!(trace > 0) || Double.isInfinite(trace)) {
                return false;
            }
            double reg = lambda * trace / n;
            double[] l = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double s = gram[base + i * m + j] + (i == j ? reg : 0.0);
                    for (int k = 0; k < j; k++) {
                        s -= l[i * n + k] * l[j * n + k];
                    }
                    if (i == j) {
                        if (!(s > 0)) {
                            return false;
                        }
                        l[i * n + i] = Math.sqrt(s);
                    } else {
                        l[i * n + j] = s / l[j * n + j];
                    }
                }
            }
            // H·w = 1 by forward then backward substitution with H = L·Lᵀ.
            double[] w = new double[n];
            for (int i = 0; i < n; i++) {
                double s = 1.0;
                for (int k = 0; k < i; k++) {
                    s -= l[i * n + k] * w[k];
                }
                w[i] = s / l[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--) {
                double s = w[i];
                for (int k = i + 1; k < n; k++) {
                    s -= l[k * n + i] * w[k];
                }
                w[i] = s / l[i * n + i];
            }
            double sum = 0;
            for (double v : w) {
                sum += v;
            }
            if (!(sum > 0) || !Double.isFinite(sum)) {
                return false;
            }
            for (int i = 0; i < m; i++) {
                double v = i < n ? w[i] / sum : 0.0;
                if (!Double.isFinite(v)) {
                    return false;
                }
                alpha[b * m + i] = v;
            }
            return true;
        }

        private static INDArray slot(INDArray ring, int k) {
            return ring.get(NDArrayIndex.all(), NDArrayIndex.point(k), NDArrayIndex.all());
        }
    }
}
