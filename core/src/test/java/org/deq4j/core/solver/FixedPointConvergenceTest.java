package org.deq4j.core.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.PhantomAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.cell.FunctionalCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.state.State;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.inverse.InvertMatrix;

/** Solvers reach the known fixed point of an affine contraction z = z·A + x. */
class FixedPointConvergenceTest {
    private static final int D = 5;
    private final INDArray a = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(9), new long[] {D, D})
            .castTo(DataType.DOUBLE).muli(0.6 / (2 * Math.sqrt(D)));
    private final INDArray xs = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(8), new long[] {3, D})
            .castTo(DataType.DOUBLE);

    private Cell affine() {
        return FunctionalCell.builder()
                .forward((z, x, p) -> State.of(z.part(0).mmul(a).addi(x.part(0))))
                .vjp((z, x, p, g) -> new CellVjp(State.of(z.part(0).mmul(a).addi(x.part(0))),
                        State.of(g.part(0).mmul(a.transpose())), State.of(g.part(0).dup()), List.of()))
                .build();
    }

    /** z* = x (I - A)^-1, by a dense solve independent of any iteration. */
    private INDArray exact() {
        return xs.mmul(InvertMatrix.invert(Nd4j.eye(D).castTo(DataType.DOUBLE).sub(a), false));
    }

    private DeqSolution solve(Solver<?> solver, int steps) {
        var adjoint = solver instanceof ReversibleSolver ? new ReversibleAdjoint() : new PhantomAdjoint(5, 1.0);
        return Deq.of(DeqConfig.builder().solver(solver).adjoint(adjoint).maxSteps(steps).tol(1e-12)
                .stopMode(StopMode.ABSOLUTE).precision(PrecisionPolicy.DOUBLE).build()).solve(affine(), State.of(xs));
    }

    @Test
    void fixedPointAndRelaxedIterationConverge() {
        for (double tau : new double[] {1.0, 0.6}) {
            DeqSolution s = solve(new FixedPointSolver(tau), 400);
            assertEquals(3, s.stats().convergedCount());
            assertTrue(s.z().part(0).sub(exact()).amaxNumber().doubleValue() < 1e-10, "tau " + tau);
            assertEquals(1 + s.stats().maxSteps(), s.stats().cellEvaluations());
        }
    }

    @Test
    void reversibleSolverConvergesToTheSameFixedPoint() {
        for (double beta : new double[] {0.5, 0.8, 1.2}) {
            DeqSolution s = solve(new ReversibleSolver(beta), 400);
            assertEquals(3, s.stats().convergedCount(), "beta " + beta);
            assertTrue(s.z().part(0).sub(exact()).amaxNumber().doubleValue() < 1e-10, "beta " + beta);
        }
    }

    @Test
    void residualTraceDecreasesAndStatsAreConsistent() {
        DeqSolution s = solve(FixedPointSolver.plain(), 400);
        SolverStats st = s.stats();
        assertEquals(st.maxSteps() + 1, st.trace().size());
        for (int i = 0; i < 3; i++) {
            double[] first = st.trace().get(0);
            assertTrue(st.finalResidual()[i] < first[i] * 1e-6);
            assertTrue(st.lowestResidual()[i] <= st.finalResidual()[i]);
        }
    }

    @Test
    void unrolledAdjointRejectsNothingDifferentiable() {
        // Both differentiable solvers pair with the unrolled adjoint; construction must succeed.
        for (Solver<?> s : List.<Solver<?>>of(FixedPointSolver.plain(), new ReversibleSolver(0.8))) {
            DeqConfig c = DeqConfig.builder().solver(s).adjoint(new UnrolledAdjoint()).build();
            assertEquals(s, c.solver());
        }
    }
}
