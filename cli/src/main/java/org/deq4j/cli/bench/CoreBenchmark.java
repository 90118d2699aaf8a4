package org.deq4j.cli.bench;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Consumer;

import org.deq4j.core.Deq;
import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.DeqGradients;
import org.deq4j.core.adjoint.DeqSolution;
import org.deq4j.core.adjoint.DriftCheck;
import org.deq4j.core.adjoint.ImplicitAdjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.adjoint.UnrolledAdjoint;
import org.deq4j.core.cell.Cell;
import org.deq4j.core.cell.TanhMlpCell;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.FixedPointSolver;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.SolverStats;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The core memory/time benchmark: one forward solve plus one backward pass of a {@link TanhMlpCell}
 * DEQ, for the reversible, unrolled and implicit adjoints at several fixed step budgets, all in
 * float64 ({@link PrecisionPolicy#DOUBLE}) and all with the reversible solver forward, so the three
 * differ only in how they compute gradients.
 *
 * <p>Every solve takes exactly the budgeted number of steps: the tolerance ({@value #TOL}, relative)
 * is far below float64 resolution, and {@link #run} checks every sample's step count (and the
 * implicit adjoint's backward solve's) and fails if one stopped early.
 *
 * <p>Per configuration: {@code warmup} untimed runs; {@code repeats} timed runs (median reported),
 * each started after {@link NativeMemory#settle()}; one run with a {@link PeakSampler#raw()}. Then, once
 * every configuration is timed, {@code memoryRuns} runs per configuration with the cell wrapped in a
 * {@link ProbingCell} for the reachable memory peak.
 */
public final class CoreBenchmark {
    /** Relative tolerance of every solve: unreachable in float64, so every step budget is spent. */
    public static final double TOL = 1e-30;

    private CoreBenchmark() {
    }

    /** The gradient strategies compared. */
    public enum Method {
        REVERSIBLE, UNROLLED, IMPLICIT;

        /** The adjoint's name as the engine reports it. */
        public String adjointName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        Adjoint adjoint(int steps) {
            return switch (this) {
                // Drift is reported in the results, not logged.
                case REVERSIBLE -> new ReversibleAdjoint(new DriftCheck(1e-6, DriftCheck.Action.IGNORE));
                case UNROLLED -> new UnrolledAdjoint();
                case IMPLICIT -> new ImplicitAdjoint(FixedPointSolver.plain(),
                        new StopCriterion(steps, TOL, StopMode.RELATIVE));
            };
        }
    }

    /**
     * What to measure.
     *
     * @param stateSize   state width d (state shape (batch, d))
     * @param inputSize   injection width
     * @param batch       batch size
     * @param beta        reversible solver relaxation
     * @param contraction spectral norm of the cell's recurrent weight (below 1: a contraction)
     * @param steps       step budgets to measure
     * @param methods     adjoints to measure
     * @param warmup      untimed runs per configuration
     * @param repeats     timed runs per configuration
     * @param memoryRuns  probed runs per configuration (the reachable peak is their maximum)
     * @param seed        random seed of the cell, injection and output gradient
     */
    public record Settings(int stateSize, int inputSize, int batch, double beta, double contraction,
            List<Integer> steps, List<Method> methods, int warmup, int repeats, int memoryRuns, long seed) {
        public Settings {
            steps = List.copyOf(steps);
            methods = List.copyOf(methods);
            if (stateSize < 1 || inputSize < 1 || batch < 1) {
                throw new InvalidConfigException("state size, input size and batch must be positive, got "
                        + stateSize + ", " + inputSize + ", " + batch);
            }
            if (steps.isEmpty() || steps.stream().anyMatch(s -> s < 1)) {
                throw new InvalidConfigException("step budgets must be a non-empty list of positive integers, got "
                        + steps);
            }
            if (methods.isEmpty()) {
                throw new InvalidConfigException("no adjoint to benchmark");
            }
            if (warmup < 0 || repeats < 1 || memoryRuns < 1) {
                throw new InvalidConfigException("warmup must be >= 0, repeats and memory runs >= 1, got " + warmup
                        + ", " + repeats + ", " + memoryRuns);
            }
        }

    }

    /**
     * One configuration's results.
     *
     * @param method              the adjoint
     * @param steps               solver steps taken by every sample (forward, and the implicit backward solve)
     * @param forwardMillis       median wall time of the forward solve
     * @param backwardMillis      median wall time of the backward pass
     * @param totalMillis         median wall time of forward plus backward
     * @param reachablePeakBytes  peak reachable ND4J off-heap memory above the starting baseline, sampled
     *                            after a full GC before and after every cell evaluation; the maximum
     *                            over the probed runs
     * @param reachablePeakMinBytes the same peak's minimum over the probed runs: runs differ when the JIT
     *                            has compiled a method in between and so frees a dead local's arrays
     *                            earlier than the interpreter would
     * @param sampledPeakBytes    peak ND4J off-heap memory above the baseline including uncollected
     *                            garbage, sampled every ~0.5 ms without forcing collections
     * @param forwardEvaluations  cell evaluations of the forward solve
     * @param backwardEvaluations cell evaluations (VJPs) of the backward pass
     * @param drift               reversible adjoint: the measured reconstruction drift
     */
    public record Result(Method method, int steps, double forwardMillis, double backwardMillis, double totalMillis,
            long reachablePeakBytes, long reachablePeakMinBytes, long sampledPeakBytes, int forwardEvaluations,
            int backwardEvaluations, OptionalDouble drift) {
    }

    /** Runs every (method, steps) configuration, passing each result to {@code onResult} as it completes. */
    public static List<Result> run(Settings s, Consumer<Result> onResult) {
        Objects.requireNonNull(onResult, "onResult");
        TanhMlpCell cell = TanhMlpCell.random(s.stateSize(), s.inputSize(), s.contraction(), s.seed(), DataType.DOUBLE);
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(s.seed() + 1);
        State x = State.of(Nd4j.randn(rng, new long[] {s.batch(), s.inputSize()}).castTo(DataType.DOUBLE));
        State gz = State.of(Nd4j.randn(rng, new long[] {s.batch(), s.stateSize()}).castTo(DataType.DOUBLE));
        // Time first for every configuration, then memory for every configuration: the probed runs then
        // all see a JVM warmed up by every timed run, and each configuration's probed runs start after one
        // more run and once the JIT has stopped compiling, so the JIT state differs little between them.
        List<Timing> timings = new ArrayList<>();
        for (Method m : s.methods()) {
            for (int steps : s.steps()) {
                timings.add(time(s, m, steps, cell, x, gz));
            }
        }
        List<Result> results = new ArrayList<>();
        for (Timing t : timings) {
            Deq deq = deq(s, t.method(), t.steps());
            deq.solve(cell, x).backward(gz);
            Jit.awaitQuiet();
            long maxPeak = 0;
            long minPeak = Long.MAX_VALUE;
            for (int run = 0; run < s.memoryRuns(); run++) {
                long peak = probedRun(deq, cell, x, gz);
                maxPeak = Math.max(maxPeak, peak);
                minPeak = Math.min(minPeak, peak);
            }
            Result r = new Result(t.method(), t.steps(), t.forwardMillis(), t.backwardMillis(),
                    t.totalMillis(), maxPeak, minPeak, t.sampledPeakBytes(), t.forwardEvaluations(),
                    t.backwardEvaluations(), t.drift());
            results.add(r);
            onResult.accept(r);
        }
        return results;
    }

    private static Deq deq(Settings s, Method m, int steps) {
        return Deq.of(DeqConfig.builder().solver(new ReversibleSolver(s.beta())).adjoint(m.adjoint(steps))
                .maxSteps(steps).tol(TOL).stopMode(StopMode.RELATIVE).precision(PrecisionPolicy.DOUBLE).build());
    }

    /** One configuration's timing, counts and sampled (garbage-including) peak. */
    private record Timing(Method method, int steps, double forwardMillis, double backwardMillis, double totalMillis,
            long sampledPeakBytes, int forwardEvaluations, int backwardEvaluations, OptionalDouble drift) {
    }

    private static Timing time(Settings s, Method m, int steps, Cell cell, State x, State gz) {
        Deq deq = deq(s, m, steps);
        for (int i = 0; i < s.warmup(); i++) {
            deq.solve(cell, x).backward(gz);
        }
        double[] fwd = new double[s.repeats()];
        double[] bwd = new double[s.repeats()];
        double[] total = new double[s.repeats()];
        Timed last = null;
        for (int i = 0; i < s.repeats(); i++) {
            last = timedRun(deq, cell, x, gz);
            fwd[i] = last.forwardMillis();
            bwd[i] = last.backwardMillis();
            total[i] = last.forwardMillis() + last.backwardMillis();
        }
        requireSteps(m + " forward solve", steps, last.forward());
        last.backwardSolve().ifPresent(back -> requireSteps(m + " backward solve", steps, back));
        // Each measured run is its own method call so that nothing of an earlier run survives in this
        // frame's local variables and inflates the next run's baseline.
        long sampledPeak = sampledRun(deq, cell, x, gz);
        return new Timing(m, steps, median(fwd), median(bwd), median(total), sampledPeak,
                last.forward().cellEvaluations(), last.backwardEvaluations(), last.drift());
    }

    /** What one timed run measured; the arrays of the run are not kept. */
    private record Timed(double forwardMillis, double backwardMillis, SolverStats forward,
            Optional<SolverStats> backwardSolve, int backwardEvaluations, OptionalDouble drift) {
    }

    private static Timed timedRun(Deq deq, Cell cell, State x, State gz) {
        NativeMemory.settle();
        long t0 = System.nanoTime();
        DeqSolution sol = deq.solve(cell, x);
        long t1 = System.nanoTime();
        DeqGradients g = sol.backward(gz);
        long t2 = System.nanoTime();
        return new Timed((t1 - t0) / 1e6, (t2 - t1) / 1e6, sol.stats(), g.stats().solve(),
                g.stats().cellEvaluations(), g.stats().drift());
    }

    /** Peak above the settled baseline, garbage included, sampled by a background thread. */
    private static long sampledRun(Deq deq, Cell cell, State x, State gz) {
        long baseline = NativeMemory.settle();
        try (PeakSampler sampler = PeakSampler.raw()) {
            DeqSolution sol = deq.solve(cell, x);
            DeqGradients g = sol.backward(gz);
            long peak = sampler.peak() - baseline;
            Reference.reachabilityFence(sol);
            Reference.reachabilityFence(g);
            return peak;
        }
    }

    /** Peak reachable memory above the settled baseline, sampled around every cell evaluation. */
    private static long probedRun(Deq deq, Cell cell, State x, State gz) {
        ReachableMemoryProbe probe = new ReachableMemoryProbe();
        DeqSolution sol = deq.solve(new ProbingCell(cell, probe), x);
        DeqGradients g = sol.backward(gz);
        probe.sample();
        Reference.reachabilityFence(sol);
        Reference.reachabilityFence(g);
        return probe.peakAboveBaseline();
    }

    /** Fails unless every sample took exactly {@code steps} steps. */
    private static void requireSteps(String what, int steps, SolverStats stats) {
        if (Arrays.stream(stats.steps()).anyMatch(n -> n != steps)) {
            throw new IllegalStateException(what + " did not take all " + steps + " steps for every sample: "
                    + stats + "; the benchmark's timing and memory would not be for " + steps + " steps");
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
