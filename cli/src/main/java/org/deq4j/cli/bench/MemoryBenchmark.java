package org.deq4j.cli.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
 * <p>Per configuration: {@code warmup} untimed steps, then {@code repeats} timed steps (median and
 * minimum reported, each started after {@link NativeMemory#settle()}), then {@code memoryRuns} memory
 * runs (maximum reported) and one raw run. A memory run settles the counter (the baseline: the model
 * and its inputs are allocated), then runs one step <em>on a separate thread</em> while a
 * {@link CollectingSampler} repeatedly collects garbage and reads the counter; the peak is the highest
 * sample minus the baseline: reachable memory, garbage excluded. The raw run does the same with a
 * {@link PeakSampler} reading the raw counter (garbage included) about every 0.5 ms. The separate thread
 * matters: SameDiff's sessions and ND4J's workspaces are per thread, so that thread creates and counts
 * them inside the run instead of reusing buffers that warm-up runs left allocated (which the baseline
 * would then hide); it destroys its workspaces after each run. A SameDiff session, though, keeps the
 * arrays of its last execution until its next one, so only the first memory run of a graph starts
 * clean: later runs (the raw run, extra memory runs) understate SameDiff peaks; the reported peak is
 * the maximum, so it comes from the first. SameDiff's array cache is switched off for the whole run
 * (system property {@value #SAMEDIFF_CACHE_PROPERTY}): every intermediate array is then freed when
 * the session releases it, so the counter follows the arrays the session holds, not a cache of freed
 * ones (a cache per session and thread, each allowed a quarter of the off-heap limit, also made the
 * process's resident memory balloon across configurations). {@code retained} is the settled counter
 * after the step with the gradients still held, minus the baseline.
 *
 * <p>A method whose step exceeds {@code timeoutSeconds} (the first warm-up step, or the median) is not
 * measured at larger step budgets: those rows are reported as skipped; so is a configuration whose
 * step throws, and the method's larger budgets after it.
 */
public final class MemoryBenchmark {
    /** ND4J's switch of SameDiff's session array cache ("false" disables it). */
    public static final String SAMEDIFF_CACHE_PROPERTY = "org.nd4j.autodiff.samediff";

    /** Runs every memory run; a daemon, so it never keeps the JVM alive. */
    private static final ExecutorService MEMORY_THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "deq4j-memory-run");
        t.setDaemon(true);
        return t;
    });

    private MemoryBenchmark() {
    }

    /** The compared implementations of one DEQ training step. */
    public enum Method {
        /** The RevDEQ SameDiff op ({@code RevDeq}): forward and reversible backward as while loops. */
        SAMEDIFF_REVERSIBLE("samediff-reversible"),
        /** {@code UnrolledRevDeq}: the same steps written out as plain ops, SameDiff autodiff. */
        SAMEDIFF_UNROLLED("samediff-unrolled"),
        /** {@code DeqVertex} in a ComputationGraph, core engine with the reversible adjoint. */
        VERTEX_REVERSIBLE("vertex-reversible"),
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
            return this == SAMEDIFF_REVERSIBLE || this == VERTEX_REVERSIBLE;
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
     * @param batch          batch size N
     * @param channels       channels C of state and injection
     * @param size           height = width of the inputs
     * @param width          the cell's hidden-channel expansion factor
     * @param beta           reversible solver relaxation
     * @param steps          step budgets
     * @param methods        methods to measure
     * @param warmup         untimed steps per configuration (at least 1: the first builds gradient graphs)
     * @param repeats        timed steps per configuration
     * @param memoryRuns     memory runs per configuration (the maximum is reported)
     * @param timeoutSeconds a method whose step takes longer is not measured at larger step budgets
     * @param samediffUnrolledMaxSteps the unrolled SameDiff baseline is not measured above this budget (its
     *                       memory grows too fast for a shared machine)
     * @param seed           seed of the parameters and data
     */
    public record Settings(int batch, int channels, int size, int width, double beta, List<Integer> steps,
            List<Method> methods, int warmup, int repeats, int memoryRuns, double timeoutSeconds,
            int samediffUnrolledMaxSteps, long seed) {
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
            if (warmup < 1 || repeats < 1 || memoryRuns < 1) {
                throw new InvalidConfigException("warm-up, repeats and memory runs must be at least 1, got " + warmup
                        + ", " + repeats + ", " + memoryRuns);
            }
            if (!(timeoutSeconds > 0)) {
                throw new InvalidConfigException("timeout must be positive, got " + timeoutSeconds);
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
     *                      runs), sampled by a {@link CollectingSampler}
     * @param peakMinBytes  the lowest of those peaks
     * @param samples       the fewest collecting samples taken during one of those runs
     * @param rawPeakBytes  highest raw counter (garbage included) during one more run, sampled every ~0.5 ms
     *                      by a {@link PeakSampler}, minus the settled baseline
     * @param retainedBytes settled counter after the step, gradients held, minus the baseline (max over runs)
     * @param loss          the loss of the last timed step (a sanity check: the methods compute the same
     *                      function at the same step budget, up to float32 rounding)
     * @param skipped       why the configuration was not measured (then every number is NaN or -1)
     */
    public record Result(Method method, int steps, double medianMillis, double minMillis, long peakBytes,
            long peakMinBytes, int samples, long rawPeakBytes, long retainedBytes, double loss,
            Optional<String> skipped) {
        static Result skipped(Method m, int steps, String why) {
            return new Result(m, steps, Double.NaN, Double.NaN, -1, -1, 0, -1, -1, Double.NaN, Optional.of(why));
        }

        /** Whether the configuration was measured. */
        public boolean measured() {
            return skipped.isEmpty();
        }
    }

    /**
     * Measures every method at every step budget, methods in the given order, budgets ascending.
     *
     * @param onResult called after each configuration (e.g. for progress output)
     */
    public static List<Result> run(Settings s, Consumer<Result> onResult) {
        String cache = System.getProperty(SAMEDIFF_CACHE_PROPERTY);
        System.setProperty(SAMEDIFF_CACHE_PROPERTY, "false");
        try {
            return measureAll(s, onResult);
        } finally {
            if (cache == null) {
                System.clearProperty(SAMEDIFF_CACHE_PROPERTY);
            } else {
                System.setProperty(SAMEDIFF_CACHE_PROPERTY, cache);
            }
        }
    }

    private static List<Result> measureAll(Settings s, Consumer<Result> onResult) {
        NativeMemory.settle(); // fails early if memory cannot be measured
        List<Result> results = new ArrayList<>();
        for (Method m : s.methods()) {
            String tooSlow = null;
            for (int steps : s.steps()) {
                Result r = tooSlow != null ? Result.skipped(m, steps, tooSlow)
                        : m == Method.SAMEDIFF_UNROLLED && steps > s.samediffUnrolledMaxSteps()
                        ? Result.skipped(m, steps, "above --samediff-unrolled-max-steps "
                                + s.samediffUnrolledMaxSteps() + " (its memory grows by about a GiB per step at"
                                + " the default size)")
                        : measureOrFailure(s, m, steps);
                if (tooSlow == null && r.measured() && r.medianMillis() > s.timeoutSeconds() * 1000) {
                    tooSlow = String.format(Locale.ROOT, "%d steps took %.1f s > timeout %.0f s", steps,
                            r.medianMillis() / 1000, s.timeoutSeconds());
                } else if (tooSlow == null && r.skipped().isPresent()) {
                    tooSlow = r.skipped().get();
                }
                results.add(r);
                onResult.accept(r);
            }
        }
        return results;
    }

    /** The measurements, or a skipped row naming the failure (later budgets of the method are skipped too). */
    private static Result measureOrFailure(Settings s, Method m, int steps) {
        try {
            return measure(s, m, steps);
        } catch (RuntimeException e) {
            return Result.skipped(m, steps, "failed at " + steps + " steps: " + e);
        }
    }

    private static Result measure(Settings s, Method m, int steps) {
        double[] times = new double[s.repeats()];
        double loss;
        long[] peaks = new long[s.memoryRuns()];
        long retained = 0;
        long rawPeak;
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
            for (int i = 0; i < s.memoryRuns(); i++) {
                long[] r = memoryRun(step, true);
                peaks[i] = r[0];
                retained = Math.max(retained, r[1]);
                samples = i == 0 ? (int) r[2] : Math.min(samples, (int) r[2]);
            }
            rawPeak = memoryRun(step, false)[0];
        }
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Result(m, steps, median, sorted[0], Arrays.stream(peaks).max().orElseThrow(),
                Arrays.stream(peaks).min().orElseThrow(), samples, rawPeak, retained, loss, Optional.empty());
    }

    /**
     * {peak, retained} above the settled baseline of one step run on the memory thread. The thread is
     * one for all memory runs (a fresh thread per run would get a fresh malloc arena each time, and the
     * process's resident memory would grow with every run); it destroys its ND4J workspaces after each
     * run, so the next run creates and counts them again.
     */
    private static long[] memoryRun(TrainingStep step, boolean collecting) {
        try {
            long baseline = NativeMemory.settle();
            try (CollectingSampler reachable = collecting ? new CollectingSampler() : null;
                    PeakSampler raw = collecting ? null : new PeakSampler()) {
                return MEMORY_THREAD.submit(() -> {
                    long[] out = new long[3];
                    try {
                        step.runHolding(() -> {
                            out[0] = (collecting ? reachable.peak() : raw.peak()) - baseline;
                            out[1] = NativeMemory.settle() - baseline;
                            out[2] = collecting ? reachable.samples() : 0;
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
        }
    }
}
