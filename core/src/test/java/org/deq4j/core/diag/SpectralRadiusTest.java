package org.deq4j.core.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.cell.FunctionalCell;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The power-iteration estimate against spectral radii known in closed form (float64). */
class SpectralRadiusTest {

    /** f(z, x) = z·Aᵀ + x for a batch of row vectors z: ∂f/∂z = A for every sample. */
    private static FunctionalCell linear(INDArray a) {
        return FunctionalCell.builder()
                .forward((z, x, p) -> State.of(z.part(0).mmul(a.transpose()).addi(x.part(0))))
                .vjp((z, x, p, g) -> new CellVjp(State.of(z.part(0).mmul(a.transpose()).addi(x.part(0))),
                        State.of(g.part(0).mmul(a)), g, List.of()))
                .build();
    }

    private static State batch(int n, int d, long seed) {
        return State.of(Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), new long[] {n, d})
                .castTo(DataType.DOUBLE));
    }

    /** A symmetric matrix Q·diag(λ)·Qᵀ with eigenvalues 0.9, -0.7, 0.5, 0.2, 0.1: ρ = 0.9. */
    @Test
    void symmetricMatrixGivesItsLargestEigenvalueMagnitude() {
        INDArray q = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(1), new long[] {5, 5}).castTo(DataType.DOUBLE);
        // Gram-Schmidt: an orthonormal basis
        for (int i = 0; i < 5; i++) {
            INDArray c = q.getColumn(i);
            for (int j = 0; j < i; j++) {
                INDArray b = q.getColumn(j);
                c.subi(b.mul(b.mul(c).sumNumber().doubleValue()));
            }
            c.divi(c.norm2Number().doubleValue());
        }
        INDArray a = q.mmul(Nd4j.diag(Nd4j.createFromArray(0.9, -0.7, 0.5, 0.2, 0.1))).mmul(q.transpose());
        double[] rho = SpectralRadius.estimate(linear(a), batch(3, 5, 2), batch(3, 5, 3), 60, 4);
        for (double r : rho) {
            assertEquals(0.9, r, 1e-5);
        }
    }

    /** A rotation scaled by 0.8 (eigenvalues 0.8·e^{±iθ}, a complex pair) beside a 0.3: ρ = 0.8. */
    @Test
    void complexDominantPairIsHandled() {
        double c = 0.8 * Math.cos(1.1);
        double s = 0.8 * Math.sin(1.1);
        INDArray a = Nd4j.createFromArray(new double[][] {{c, -s, 0}, {s, c, 0}, {0, 0, 0.3}});
        double[] rho = SpectralRadius.estimate(linear(a), batch(2, 3, 5), batch(2, 3, 6), 40, 7);
        for (double r : rho) {
            assertEquals(0.8, r, 1e-9);
        }
    }

    @Test
    void aZeroJacobianGivesZeroAndTooFewIterationsAreRefused() {
        FunctionalCell zero = linear(Nd4j.zeros(DataType.DOUBLE, 4, 4));
        assertEquals(0.0, SpectralRadius.estimate(zero, batch(2, 4, 1), batch(2, 4, 2), 4, 3)[0]);
        assertThrows(InvalidConfigException.class, () -> SpectralRadius.estimate(zero, batch(2, 4, 1),
                batch(2, 4, 2), 1, 3));
    }
}
