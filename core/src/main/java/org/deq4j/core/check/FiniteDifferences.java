package org.deq4j.core.check;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

import org.deq4j.core.Deq;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central finite differences of a DEQ solve, for checking gradients: for the scalar loss
 * {@code L = ⟨w, z*(x, θ)⟩} and a random unit direction d per array, compares
 * {@code (L(p + εd) - L(p - εd)) / 2ε} with {@code ⟨∇_p L, d⟩} for the injection and every cell
 * parameter. Directional derivatives cost two solves per array whatever its size. Use float64.
 */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** Directional derivatives: finite-difference estimate and the analytic value, per array. */
    public record Directional(List<Double> numeric, List<Double> analytic) {
        /** Largest {@code |numeric - analytic| / max(|numeric|, |analytic|, 1e-12)} over arrays. */
        public double maxRelativeError() {
            double worst = 0;
            for (int i = 0; i < numeric.size(); i++) {
                double n = numeric.get(i);
                double a = analytic.get(i);
                worst = Math.max(worst, Math.abs(n - a) / Math.max(Math.max(Math.abs(n), Math.abs(a)), 1e-12));
            }
            return worst;
        }
    }

    /**
     * Checks the gradients of {@code deq} on {@code cell} at injection {@code x} (single-array
     * injection; the state may be a tuple).
     *
     * @param w       the loss weights, shaped like the state
     * @param epsilon step of the central difference (1e-6 suits float64)
     */
    public static Directional check(Deq deq, Cell cell, State x, State w, double epsilon, long seed) {
        DeqSolution sol = deq.solve(cell, x);
        DeqGradients g = sol.backward(w);
        List<INDArray> targets = new ArrayList<>(x.parts());
        targets.addAll(cell.parameters());
        List<INDArray> grads = new ArrayList<>(g.gx().parts());
        grads.addAll(g.gParams());
        return directional(targets, grads, () -> loss(deq, cell, x, w), epsilon,
                Nd4j.getRandomFactory().getNewRandomInstance(seed));
    }

    /**
     * Directional derivatives of any scalar {@code loss} that reads {@code targets}: per target, a
     * random unit direction d (drawn from {@code rng}, in target order), the central difference
     * {@code (loss(p + εd) - loss(p - εd)) / 2ε} and the analytic {@code ⟨gradient, d⟩}. Each target is
     * perturbed in place and restored.
     *
     * @param targets   the arrays {@code loss} depends on
     * @param gradients the claimed gradients of {@code loss}, shaped like the targets
     * @param epsilon   step of the central difference (1e-6 suits float64)
     */
    public static Directional directional(List<INDArray> targets, List<INDArray> gradients, DoubleSupplier loss,
            double epsilon, Random rng) {
        List<Double> numeric = new ArrayList<>();
        List<Double> analytic = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            INDArray p = targets.get(i);
            INDArray d = Nd4j.randn(rng, p.shape()).castTo(p.dataType());
            d.divi(d.norm2Number());
            INDArray original = p.dup();
            p.addi(d.mul(epsilon));
            double plus = loss.getAsDouble();
            p.assign(original).subi(d.mul(epsilon));
            double minus = loss.getAsDouble();
            p.assign(original);
            numeric.add((plus - minus) / (2 * epsilon));
            analytic.add(State.of(gradients.get(i)).dot(State.of(d)));
        }
        return new Directional(numeric, analytic);
    }

    private static double loss(Deq deq, Cell cell, State x, State w) {
        return deq.solve(cell, x).z().dot(w);
    }
}
