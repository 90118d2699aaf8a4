package org.deq4j.core.adjoint;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.VjpAccumulator;
import org.deq4j.core.solver.ActiveSet;
import org.deq4j.core.solver.DifferentiableSolver;
import org.deq4j.core.solver.Iterate;
import org.deq4j.core.state.State;
import org.deq4j.core.state.Workspaces;
import org.nd4j.linalg.api.memory.MemoryWorkspace;

/**
 * A stored solver trajectory and backpropagation through it: the unrolled adjoint's backward, and
 * the phantom adjoint's over its k damped steps. Memory grows with the number of steps.
 */
final class Trajectory<S extends Iterate, G> {
    private static final String WORKSPACE = "DEQ4J_BACKWARD_LOOP";
    private final DifferentiableSolver<S, G> solver;
    private final List<S> iterates = new ArrayList<>();

    Trajectory(DifferentiableSolver<S, G> solver) {
        this.solver = solver;
    }

    /** Appends a snapshot of the iterate (call after init and after every step). */
    void add(S iterate) {
        iterates.add(Workspaces.detached(() -> solver.snapshot(iterate)));
    }

    /**
     * Backpropagates {@code gz} from the last iterate's z to the start. Step n is taken by the
     * samples with {@code steps[i] >= n}.
     */
    VjpAccumulator backprop(String phase, Cell cell, State x, int[] steps, State gz) {
        VjpAccumulator acc = new VjpAccumulator(cell, x);
        int last = iterates.size() - 1;
        G g = solver.seed(iterates.get(last), gz);
        for (int n = last; n >= 1; n--) {
            try (MemoryWorkspace ws = Workspaces.iteration(WORKSPACE)) {
                ActiveSet active = ActiveSet.reaching(steps, n, gz.dataType());
                solver.backpropStep(cell, x, iterates.get(n - 1), iterates.get(n), active, g, acc);
            }
        }
        ForwardLoop.requireFinite(phase, acc.gx(), 0);
        return acc;
    }
}
