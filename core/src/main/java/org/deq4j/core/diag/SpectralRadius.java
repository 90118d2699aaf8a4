package org.deq4j.core.diag;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Estimates, per sample, the spectral radius ρ(∂f/∂z) of a cell at a state (usually the fixed point a
 * solve found): the quantity that decides whether the fixed-point iteration contracts (ρ < 1) and how
 * fast the solvers and the implicit and phantom gradients converge. torchdeq users watch it to see a
 * DEQ drift towards instability during training.
 *
 * <p>Power iteration on vector-Jacobian products, {@code v ← Jᵀv / ‖Jᵀv‖}, one cell VJP per iteration
 * and nothing else: Jᵀ has J's eigenvalues, and samples are independent (a cell's Jacobian is
 * block-diagonal over the batch), so one batched VJP iterates every sample at once. The estimate is the
 * geometric mean of the growth factors {@code ‖Jᵀv‖/‖v‖} over the second half of the iterations, which
 * converges to ρ also when the dominant eigenvalues are a complex pair (their growth factors oscillate
 * around ρ instead of settling). Convergence is geometric in |λ₂|/|λ₁|; a few tens of iterations are
 * usual. The result is dimensionless.
 */
public final class SpectralRadius {
    private SpectralRadius() {
    }

    /**
     * The per-sample estimate.
     *
     * @param cell       the cell f (its data type must be {@code z}'s)
     * @param x          the injection
     * @param z          the state at which ∂f/∂z is taken
     * @param iterations power iterations, at least 2
     * @param seed       seed of the random start vector
     * @return ρ estimates, one per sample (0 for a sample whose Jacobian maps the iterate to zero)
     * @throws InvalidConfigException if {@code iterations < 2}
     * @throws org.deq4j.core.ShapeMismatchException if the cell's output is not shaped like {@code z}
     */
    public static double[] estimate(Cell cell, State x, State z, int iterations, long seed) {
        if (iterations < 2) {
            throw new InvalidConfigException("spectral radius estimation needs at least 2 iterations, got " + iterations);
        }
        int batch = (int) z.batchSize();
        State v;
        // closed at once: a generator's native state is large and would otherwise wait for a GC
        try (Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed)) {
            v = z.map(p -> Nd4j.randn(rng, p.shape()).castTo(p.dataType()));
        } catch (Exception e) {
            throw new IllegalStateException("could not release the random generator", e);
        }
        normalise(v, v.sampleNorms().toDoubleVector());
        double[] logSum = new double[batch];
        boolean[] zero = new boolean[batch];
        int counted = 0;
        for (int k = 0; k < iterations; k++) {
            State next = cell.valueAndVjp(z, x, v).gz();
            next.requireSameShape(z, "cell state gradient", true);
            double[] growth = next.sampleNorms().toDoubleVector();
            if (k >= iterations / 2) {
                counted++;
                for (int b = 0; b < batch; b++) {
                    if (growth[b] == 0) {
                        zero[b] = true;
                    } else {
                        logSum[b] += Math.log(growth[b]);
                    }
                }
            }
            normalise(next, growth);
            v = next;
        }
        double[] rho = new double[batch];
        for (int b = 0; b < batch; b++) {
            rho[b] = zero[b] ? 0 : Math.exp(logSum[b] / counted);
        }
        return rho;
    }

    /** Divides every sample by its norm (a zero sample stays zero). */
    private static void normalise(State v, double[] norms) {
        double[] inverse = new double[norms.length];
        for (int b = 0; b < norms.length; b++) {
            inverse[b] = norms[b] == 0 ? 0 : 1 / norms[b];
        }
        INDArray scale = Nd4j.createFromArray(inverse).castTo(v.dataType());
        v.maskInPlace(scale);
    }
}
