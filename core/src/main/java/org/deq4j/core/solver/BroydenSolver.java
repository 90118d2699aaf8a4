package org.deq4j.core.solver;

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
 * Limited-memory "good" Broyden's method on the root of {@code g(z) = f(z) − z}, as torchdeq's
 * {@code broyden_solver} without line search. Each sample keeps an approximation of the inverse
 * Jacobian of g, {@code B = −I + Σ u_i·v_iᵀ} (state flattened over all tuple parts), and steps
 * <pre>
 *   z ← z − B·g(z)
 *   Δz, Δg = changes of z and g over the step
 *   v = Bᵀ·Δz,  u = (Δz − B·Δg) / (vᵀ·Δg)      (Sherman–Morrison form of the good Broyden update)
 * </pre>
 * The first step is a plain fixed-point step {@code z ← f(z)}. There is no line search: every
 * step costs exactly one cell evaluation, plus {@code O(memory·batch·dim)} arithmetic.
 *
 * <p>When the memory is full the solver restarts: the step that would store update
 * {@code memory + 1} clears every update instead and the next step is a plain fixed-point step
 * from {@code B = −I}. (torchdeq instead overwrites the oldest update; since every stored term
 * was computed against the terms before it, dropping one leaves an inconsistent approximation,
 * and on the ill-conditioned linear test problem with memory 3 to 30 that variant needed 8 to 19
 * times the steps of restarting, or diverged.) Restarting happens for the whole batch at once.
 * A sample whose update is degenerate ({@code Δg = 0}, as at an exact fixed point or for a
 * frozen sample, or {@code |vᵀΔg|} below √ε·‖v‖·‖Δg‖ for the state type's ε) stores a zero
 * update and keeps its approximation; the count is in {@link Memory#skippedUpdates()}.
 *
 * <p>Not differentiable by the unrolled adjoint: pair it with the implicit or phantom adjoint, or
 * use it as the implicit adjoint's backward solver.
 *
 * @param memory rank-one updates kept before a restart, at least 1; memory grows as
 *               {@code 2·memory} states (torchdeq keeps one update per step of the budget)
 */
public record BroydenSolver(int memory) implements Solver<BroydenSolver.Iterate> {

    /** The current iterate, its image and the inverse-Jacobian approximation. */
    public record Iterate(State z, State fz, Memory memory) implements org.deq4j.core.solver.Iterate {
    }

    public BroydenSolver {
        if (memory < 1) {
            throw new InvalidConfigException("broyden memory must be at least 1, got " + memory);
        }
    }

    /**
     * Memory 10. torchdeq keeps one update per step of the budget; on the ill-conditioned linear
     * test problem (dimension 16) memories 5 to 20 with restarts took 29 to 33 steps to a relative
     * 1e-8, 40 took 48 and 100 took 135, as rounding accumulates in long update chains.
     */
    public static BroydenSolver defaults() {
        return new BroydenSolver(10);
    }

    @Override
    public String name() {
        return "broyden";
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
        return new Iterate(z, fz, new Memory(FlatLayout.of(z), memory, z, fz));
    }

    @Override
    public void step(Cell cell, State x, Iterate it, ActiveSet active) {
        Memory mem = it.memory();
        active.update(it.z(), mem.proposal());
        active.update(it.fz(), cell.apply(it.z(), x));
        mem.update(it.z(), it.fz(), active.flags());
    }

    /**
     * The per-sample rank-one updates {@code u_i, v_i} in ring buffers allocated once per solve,
     * with the flat iterate, residual and next direction.
     */
    public static final class Memory {
        private final FlatLayout layout;
        private final int capacity;
        private final int batch;
        private final long dim;
        private final double skipRatio;
        /** (batch, capacity, dim). */
        private final INDArray us;
        /** (batch, capacity, dim). */
        private final INDArray vs;
        /** Flat z and g(z) = f(z) − z at the current iterate, and the next step −B·g. */
        private final INDArray z;
        private final INDArray g;
        private final INDArray direction;
        private final INDArray dz;
        private final INDArray dg;
        private final INDArray work;
        private final INDArray proposal;
        private final INDArray coef;
        private final INDArray scalars;
        private int size;
        private int newest = -1;
        private long skipped;
        private long restarts;

        Memory(FlatLayout layout, int capacity, State z0, State fz0) {
            this.layout = layout;
            this.capacity = capacity;
            this.batch = Math.toIntExact(layout.batch());
            this.dim = layout.dim();
            DataType type = z0.dataType();
            skipRatio = Math.sqrt(machineEpsilon(type));
            us = Nd4j.zeros(type, batch, capacity, dim);
            vs = Nd4j.zeros(type, batch, capacity, dim);
            z = Nd4j.zeros(type, batch, dim);
            g = Nd4j.zeros(type, batch, dim);
            direction = Nd4j.zeros(type, batch, dim);
            dz = Nd4j.zeros(type, batch, dim);
            dg = Nd4j.zeros(type, batch, dim);
            work = Nd4j.zeros(type, batch, dim);
            proposal = Nd4j.zeros(type, batch, dim);
            coef = Nd4j.zeros(type, batch, 1, capacity);
            scalars = Nd4j.zeros(type, batch, 1, 1);
            layout.gather(z0, z);
            layout.gather(fz0, g);
            g.subi(z);
            direction.assign(g);
        }

        /** Rank-one updates stored (at most the memory size). */
        public int size() {
            return size;
        }

        /** Times the full memory was cleared back to {@code B = −I}. */
        public long restarts() {
            return restarts;
        }

        /** Per-sample updates so far that were degenerate and not stored (active samples only). */
        public long skippedUpdates() {
            return skipped;
        }

        /** {@code z − B·g} for every sample, as a state view over a reused buffer. */
        State proposal() {
            proposal.assign(z).addi(direction);
            return layout.scatter(proposal);
        }

        /**
         * Takes in the iterate after a step: stores the secant update, or restarts from
         * {@code B = −I} when the memory is full, and computes the next direction.
         */
        void update(State zNew, State fzNew, boolean[] active) {
            dz.assign(z);
            layout.gather(zNew, z);
            dz.rsubi(z);
            dg.assign(g);
            layout.gather(fzNew, g);
            g.subi(z);
            dg.rsubi(g);
            if (size == capacity) {
                us.assign(0);
                vs.assign(0);
                size = 0;
                newest = -1;
                restarts++;
            } else {
                storeSecant(active);
            }
            // Next step −B·g = g − U·(Vᵀg).
            apply(g, direction, false).negi();
        }

        private void storeSecant(boolean[] active) {
            // u is built in `proposal`: the caller has already copied the proposal into the state.
            INDArray v = apply(dz, work, true);
            INDArray u = apply(dg, proposal, false).rsubi(dz);
            Nd4j.matmul(row(v), row(dg), scalars, false, true, false);
            double[] denom = scalars.reshape(batch).toDoubleVector();
            double[] vNorm = v.norm2(1).toDoubleVector();
            double[] dgNorm = dg.norm2(1).toDoubleVector();
            double[] uScale = new double[batch];
            double[] vScale = new double[batch];
            for (int b = 0; b < batch; b++) {
                boolean ok = dgNorm[b] > 0 && Double.isFinite(denom[b])
                        && Math.abs(denom[b]) > skipRatio * vNorm[b] * dgNorm[b];
                if (ok) {
                    uScale[b] = 1.0 / denom[b];
                    vScale[b] = 1.0;
                } else if (active[b]) {
                    skipped++;
                }
            }
            u.muliColumnVector(column(uScale));
            v.muliColumnVector(column(vScale));
            newest = (newest + 1) % capacity;
            size = Math.min(size + 1, capacity);
            slot(us, newest).assign(u);
            slot(vs, newest).assign(v);
        }

        /**
         * {@code B·x} (or {@code Bᵀ·x} when {@code transpose}) with {@code B = −I + Σ u_i v_iᵀ},
         * written into {@code out}; empty slots hold zeros and add nothing.
         */
        private INDArray apply(INDArray x, INDArray out, boolean transpose) {
            INDArray left = transpose ? us : vs;
            INDArray right = transpose ? vs : us;
            Nd4j.matmul(row(x), left, coef, false, true, false);
            out.assign(x).negi();
            Nd4j.exec(new Mmul(coef, right, row(out), 1.0, 1.0, MMulTranspose.allFalse()));
            return out;
        }

        private INDArray row(INDArray flat) {
            return flat.reshape('c', batch, 1, dim);
        }

        private INDArray column(double[] values) {
            return Nd4j.createFromArray(values).reshape(batch, 1).castTo(z.dataType());
        }

        private static INDArray slot(INDArray ring, int k) {
            return ring.get(NDArrayIndex.all(), NDArrayIndex.point(k), NDArrayIndex.all());
        }

        private static double machineEpsilon(DataType type) {
            return switch (type) {
                case DOUBLE -> 0x1.0p-52;
                case FLOAT -> 0x1.0p-23;
                case BFLOAT16 -> 0x1.0p-7;
                default -> 0x1.0p-10;
            };
        }
    }
}
