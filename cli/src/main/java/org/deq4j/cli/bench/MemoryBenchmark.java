package org.deq4j.cli.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The acceptance benchmark of the SameDiff RevDEQ op and the DL4J DEQ vertex: peak memory and time of
 * one training step (forward + backward) of a {@code ConvResidualCell} DEQ at several step budgets,
 * for four methods (see {@link Method}), all in float32 with the reversible solver's forward
 * (β, every step taken).
 *
 * <p>{@link #run} measures every configuration (method, step budget) in a fresh child JVM
 * ({@link ChildJvm}, running {@link MemoryWorker}), so the garbage, caches and allocator pages of one
 * configuration cannot inflate the next one, and a configuration that runs out of memory fails alone.
 * A configuration whose resident size, extrapolated from the method's two largest measured budgets,
 * would not fit in the memory limit is not started but reported as skipped with the prediction.
 *
 * <p>Inside the child ({@link #measureInProcess}): {@code warmup} untimed steps, then {@code repeats}
 * timed steps (median and minimum reported, each started after {@link NativeMemory#settle()}), then the
 * memory runs. A memory run settles the counter (the baseline: the model and its inputs are
 * allocated), then runs one step <em>on a new thread</em> while a {@link PeakSampler#reachable()} repeatedly
 * collects garbage and reads the counter; the peak is the highest sample minus the baseline: reachable
 * memory, garbage excluded. The new thread matters: SameDiff's sessions and ND4J's workspaces are per
 * thread, so that thread creates and counts them inside the run instead of reusing buffers that
 * warm-up runs left allocated (which the baseline would then hide); it destroys its workspaces at the
 * end. Before each memory run the SameDiff graph methods drop their sessions
 * ({@link TrainingStep#forgetPreviousSteps()}): a session keeps every array of its last execution, so
 * the timed steps' session would otherwise hold a second copy of the step's arrays (in the baseline,
 * but resident). The vertex's cell graphs keep their sessions of earlier threads (a few hundred MiB,
 * part of the next run's baseline, not of its peak). The vertex methods repeat memory runs until at
 * least {@code memoryRuns} runs and {@code memorySamples} collecting samples are done, so that every
 * budget gets about the same number of chances to catch the short-lived peak inside one cell
 * evaluation (short steps would otherwise get fewer samples, and a lower maximum, than long ones). The
 * SameDiff graph methods do one memory run: their peak is not short-lived (the unrolled baseline holds
 * all of it until the end of the step; the op's loop repeats the same peak every iteration), and a run
 * of the larger budgets takes minutes.
 *
 * <p>SameDiff's array cache is switched off (system property {@value #SAMEDIFF_CACHE_PROPERTY}): every
 * intermediate array is then freed when the session releases it, so the counter follows the arrays the
 * session holds, not a cache of freed ones. {@code retained} is the settled counter after the step
 * with the gradients still held, minus the baseline. The child also reports its peak resident set size
 * (VmHWM): the whole process, JVM included, over the whole configuration.
 *
 * <p>A method whose step exceeds {@code timeoutSeconds} (the first warm-up step, or the median) is not
 * measured at larger step budgets: those rows are reported as skipped; so is a configuration whose
 * step throws or whose child JVM dies, and the method's larger budgets after it.
 */
public final class MemoryBenchmark {
    /** ND4J's switch of SameDiff's session array cache ("false" disables it). */
    public static final String SAMEDIFF_CACHE_PROPERTY = "org.nd4j.autodiff.samediff";

    /** The vertex methods never do more memory runs than this, whatever {@code memorySamples} asks. */
    static final int MAX_MEMORY_RUNS = 8;

    private MemoryBenchmark() {
    }

    /** The compared implementations of one DEQ training step. */
    public enum Method {
        /** The RevDEQ SameDiff op ({@code RevDeq}): forward and reversible backward as while loops. */
        SAMEDIFF_REVERSIBLE("samediff-reversible"),
        /** {@code UnrolledRevDeq}: the same steps written out as plain ops, SameDiff autodiff. */
        SAMEDIFF_UNROLLED("samediff-unrolled"),
        /**
         * {@code DeqVertex} in a ComputationGraph with the reversible strategy, which the vertex runs on
         * the RevDEQ op's loops ({@code DeqExecution.AUTO}).
         */
        VERTEX_REVERSIBLE("vertex-reversible"),
        /**
         * The same vertex and strategy on the core engine's Java loop ({@code DeqExecution.CORE_ENGINE}):
         * the row that shows what running the op buys.
         */
        VERTEX_REVERSIBLE_ENGINE("vertex-reversible-engine"),
        /** {@code DeqVertex} in a ComputationGraph, core engine with the unrolled adjoint. */
        VERTEX_UNROLLED("vertex-unrolled");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        /** The name used on the command line and in reports. */
        public String label() {
            return label;
        }

        /** Whether the method stores no trajectory. */
        public boolean reversible() {
            return this == SAMEDIFF_REVERSIBLE || this == VERTEX_REVERSIBLE || this == VERTEX_REVERSIBLE_ENGINE;
        }

        /** Whether the method is a SameDiff graph (one memory run per configuration, see the class doc). */
        public boolean sameDiffGraph() {
            return this == SAMEDIFF_REVERSIBLE || this == SAMEDIFF_UNROLLED;
        }

        /** The method of a {@link #label()}. */
        public static Method of(String label) {
            return Arrays.stream(values()).filter(m -> m.label.equalsIgnoreCase(label)).findFirst()
                    .orElseThrow(() -> new InvalidConfigException("unknown method '" + label + "', expected one of "
                            + Arrays.stream(values()).map(Method::label).toList()));
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * What to measure.
     *
     * @param batch            batch size N
     * @param channels         channels C of state and injection
     * @param size             height = width of the inputs
     * @param width            the cell's hidden-channel expansion factor
     * @param beta             reversible solver relaxation
     * @param steps            step budgets
     * @param methods          methods to measure
     * @param warmup           untimed steps per configuration (at least 1: the first builds gradient graphs)
     * @param repeats          timed steps per configuration
     * @param memoryRuns       memory runs per configuration of a vertex method, at least (the maximum is reported)
     * @param memorySamples    collecting samples per configuration of a vertex method, at least (more memory
     *                         runs are done until reached, at most {@value #MAX_MEMORY_RUNS} runs)
     * @param timeoutSeconds   a method whose step takes longer is not measured at larger step budgets
     * @param memoryLimitBytes resident memory a child JVM may use; empty: the machine's available memory
     *                         (MemAvailable) minus 1 GiB, read before each configuration
     * @param seed             seed of the parameters and data
     */
    public record Settings(int batch, int channels, int size, int width, double beta, List<Integer> steps,
            List<Method> methods, int warmup, int repeats, int memoryRuns, int memorySamples, double timeoutSeconds,
            OptionalLong memoryLimitBytes, long seed) {
        public Settings {
            steps = steps.stream().sorted().distinct().toList();
            methods = List.copyOf(methods);
            if (batch < 1 || channels < 1 || size < 1 || width < 1) {
                throw new InvalidConfigException("batch, channels, size and width must be positive, got " + batch
                        + ", " + channels + ", " + size + ", " + width);
            }
            if (steps.isEmpty() || steps.get(0) < 1) {
                throw new InvalidConfigException("step budgets must be a non-empty list of positive integers, got "
                        + steps);
            }
            if (methods.isEmpty()) {
                throw new InvalidConfigException("no method to benchmark");
            }
            if (warmup < 1 || repeats < 1 || memoryRuns < 1 || memorySamples < 0) {
                throw new InvalidConfigException("warm-up, repeats and memory runs must be at least 1 and memory"
                        + " samples at least 0, got " + warmup + ", " + repeats + ", " + memoryRuns + ", "
                        + memorySamples);
            }
            if (!(timeoutSeconds > 0)) {
                throw new InvalidConfigException("timeout must be positive, got " + timeoutSeconds);
            }
            if (memoryLimitBytes.isPresent() && memoryLimitBytes.getAsLong() <= 0) {
                throw new InvalidConfigException("memory limit must be positive, got " + memoryLimitBytes.getAsLong());
            }
        }
    }

    /**
     * One configuration's measurements, or why it was skipped.
     *
     * @param method        the method
     * @param steps         the step budget
     * @param medianMillis  median wall time of one training step
     * @param minMillis     fastest timed step
     * @param peakBytes     highest reachable memory during a memory run minus the settled baseline (max over
     *                      runs), sampled by a {@link PeakSampler#reachable()}
     * @param peakMinBytes  the lowest of those peaks
     * @param memoryRuns    memory runs done
     * @param samples       collecting samples taken over all memory runs
     * @param retainedBytes settled counter after the step, gradients held, minus the baseline (max over runs)
     * @param residentBytes peak resident set size (VmHWM) of the child JVM over the whole configuration
     * @param loss          the loss of the last timed step (a sanity check: the methods compute the same
     *                      function at the same step budget, up to float32 rounding)
     * @param skipped       why the configuration was not measured (then every number is NaN or -1)
     */
    public record Result(Method method, int steps, double medianMillis, double minMillis, long peakBytes,
            long peakMinBytes, int memoryRuns, int samples, long retainedBytes, long residentBytes, double loss,
            Optional<String> skipped) {
        static Result skipped(Method m, int steps, String why) {
            return new Result(m, steps, Double.NaN, Double.NaN, -1, -1, 0, 0, -1, -1, Double.NaN, Optional.of(why));
        }

        /** Whether the configuration was measured. */
        public boolean measured() {
            return skipped.isEmpty();
        }

        /** The same measurements with the resident peak set. */
        Result withResident(long bytes) {
            return new Result(method, steps, medianMillis, minMillis, peakBytes, peakMinBytes, memoryRuns, samples,
                    retainedBytes, bytes, loss, skipped);
        }
    }

    /**
     * Measures every method at every step budget, methods in the given order, budgets ascending, each
     * configuration in its own child JVM.
     *
     * @param onResult called after each configuration (e.g. for progress output)
     */
    public static List<Result> run(Settings s, Consumer<Result> onResult) {
        List<Result> results = new ArrayList<>();
        for (Method m : s.methods()) {
            String stop = null;
            List<Result> mine = new ArrayList<>();
            for (int steps : s.steps()) {
                Result r = stop != null ? Result.skipped(m, steps, stop) : ChildJvm.measure(s, m, steps, mine);
                if (stop == null && r.measured() && r.medianMillis() > s.timeoutSeconds() * 1000) {
                    stop = String.format(Locale.ROOT, "%d steps took %.1f s > timeout %.0f s", steps,
                            r.medianMillis() / 1000, s.timeoutSeconds());
                } else if (stop == null && r.skipped().isPresent()
                        && !r.skipped().get().startsWith(ChildJvm.PREDICTED_TOO_BIG)) {
                    // (a larger budget than one predicted too big is predicted bigger and skipped on its own)
                    stop = "not run after the failure at " + steps + " steps";
                }
                if (r.measured()) {
                    mine.add(r);
                }
                results.add(r);
                onResult.accept(r);
            }
        }
        return results;
    }

    /**
     * Measures one configuration in this JVM (what a child JVM of {@link #run} does); the resident peak
     * is left at -1 (the caller knows its process). Switches SameDiff's array cache off for the rest of
     * the process.
     *
     * @return the measurements, or a skipped result naming the failure or the timeout
     */
    static Result measureInProcess(Settings s, Method m, int steps) {
        System.setProperty(SAMEDIFF_CACHE_PROPERTY, "false");
        NativeMemory.settle(); // fails early if memory cannot be measured
        try {
            return measure(s, m, steps);
        } catch (RuntimeException e) {
            return Result.skipped(m, steps, "failed at " + steps + " steps: " + e);
        }
    }

    private static Result measure(Settings s, Method m, int steps) {
        double[] times = new double[s.repeats()];
        double loss;
        List<Long> peaks = new ArrayList<>();
        long retained = 0;
        int samples = 0;
        try (TrainingStep step = TrainingStep.create(s, m, steps)) {
            long t0 = System.nanoTime();
            step.run();
            double first = (System.nanoTime() - t0) / 1e9;
            if (first > s.timeoutSeconds()) {
                return Result.skipped(m, steps, String.format(Locale.ROOT,
                        "first step at %d steps took %.1f s > timeout %.0f s", steps, first, s.timeoutSeconds()));
            }
            for (int i = 1; i < s.warmup(); i++) {
                step.run();
            }
            double last = Double.NaN;
            for (int i = 0; i < s.repeats(); i++) {
                NativeMemory.settle();
                long a = System.nanoTime();
                last = step.run();
                times[i] = (System.nanoTime() - a) / 1e6;
            }
            loss = last;
            int runs = m.sameDiffGraph() ? 1 : s.memoryRuns();
            while (peaks.size() < runs
                    || (!m.sameDiffGraph() && samples < s.memorySamples() && peaks.size() < MAX_MEMORY_RUNS)) {
                step.forgetPreviousSteps();
                long[] r = memoryRun(step);
                peaks.add(r[0]);
                retained = Math.max(retained, r[1]);
                samples += (int) r[2];
            }
        }
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Result(m, steps, median, sorted[0], peaks.stream().mapToLong(Long::longValue).max().orElseThrow(),
                peaks.stream().mapToLong(Long::longValue).min().orElseThrow(), peaks.size(), samples, retained, -1,
                loss, Optional.empty());
    }

    /**
     * {peak, retained, samples} above the settled baseline of one step run on a new thread, which
     * destroys its ND4J workspaces at the end (a child JVM runs with few malloc arenas, so new threads
     * do not each keep an arena of freed memory).
     */
    private static long[] memoryRun(TrainingStep step) {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "deq4j-memory-run");
            t.setDaemon(true);
            return t;
        });
        try {
            long baseline = NativeMemory.settle();
            try (PeakSampler reachable = PeakSampler.reachable()) {
                return thread.submit(() -> {
                    long[] out = new long[3];
                    try {
                        step.runHolding(() -> {
                            out[0] = reachable.peak() - baseline;
                            out[1] = NativeMemory.settle() - baseline;
                            out[2] = reachable.samples();
                        });
                    } finally {
                        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                    }
                    return out;
                }).get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during a memory run", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("memory run failed: " + e.getCause(), e.getCause());
        } finally {
            thread.shutdown();
        }
    }
}
