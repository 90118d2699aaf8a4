package org.deq4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

import org.deq4j.cli.bench.MemoryBenchmark;
import org.deq4j.cli.bench.MemoryBenchmark.Method;
import org.deq4j.cli.bench.MemoryBenchmark.Result;
import org.deq4j.cli.bench.MemoryBenchmark.Settings;
import org.deq4j.cli.bench.MemoryChart;
import org.nd4j.linalg.factory.Nd4j;

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j bench memory}: peak memory and time of one training step of a ConvResidualCell DEQ,
 * the RevDEQ SameDiff op against the unrolled SameDiff baseline and the DeqVertex with the reversible
 * against the unrolled adjoint (see {@link MemoryBenchmark}). Prints a table and the targets,
 * or one JSON object with {@code --json}; writes a PNG chart.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = {"Peak memory and time of one training step (forward + backward) of a ConvResidualCell DEQ:"
                + " the RevDEQ SameDiff op vs the unrolled SameDiff baseline, and DeqVertex (reversible vs unrolled"
                + " adjoint) in a ComputationGraph.", "", BenchMemoryCommand.MEMORY_NOTE})
final class BenchMemoryCommand implements Callable<Integer> {
    static final String MEMORY_NOTE = "Each (method, steps) runs in a fresh child JVM. Memory: libnd4j's count of"
            + " allocated ND4J array bytes (outside and inside workspaces), above a baseline settled (full GC, ND4J"
            + " deallocation queues drained) right before the step, with model and input allocated. 'peak' is"
            + " REACHABLE memory: during the step a background thread loops {full GC, free unreachable buffers, read"
            + " the counter} ('samples' readings) and keeps the highest; the maximum over 'runs' memory runs (vertex:"
            + " at least --memory-runs and --memory-samples; SameDiff graphs: one). It can miss a peak shorter than"
            + " one sampling round. Each memory run is a step on a new thread, so SameDiff sessions and ND4J"
            + " workspaces are created and counted inside it; SameDiff's session array cache is off (released"
            + " intermediates are freed at once); DL4J workspaces are off. 'retained' is the settled count after the"
            + " step with its gradients held. 'RSS' is the child JVM's peak resident set size (VmHWM, whole process,"
            + " whole configuration). A configuration whose resident need, predicted from the method's two largest"
            + " measured budgets (1.5 x the extrapolated reachable peak + 2 GiB), exceeds the memory limit (available"
            + " memory minus 1 GiB, or --memory-limit) is skipped with the prediction; the child's JavaCPP"
            + " maxphysicalbytes is set to that need, so JavaCPP collects garbage past it.";
    private static final double MIB = 1024.0 * 1024.0;

    @Spec
    private CommandSpec spec;

    @Option(names = "--steps", split = ",", paramLabel = "N", description = "Step budgets (default: 2,4,8,16,32).")
    private List<Integer> steps = List.of(2, 4, 8, 16, 32);

    @Option(names = "--methods", split = ",", paramLabel = "NAME", converter = MethodConverter.class,
            description = "Methods: samediff-reversible, samediff-unrolled, vertex-reversible,"
                    + " vertex-reversible-engine, vertex-unrolled (default: all).")
    private List<Method> methods = List.of(Method.values());

    @Option(names = "--batch", description = "Batch size (default: 32).")
    private int batch = 32;

    @Option(names = "--channels", description = "Channels of state and input (default: 32).")
    private int channels = 32;

    @Option(names = "--size", description = "Input height = width (default: 32).")
    private int size = 32;

    @Option(names = "--width", description = "The cell's hidden-channel expansion (default: 1).")
    private int width = 1;

    @Option(names = "--beta", description = "Reversible solver relaxation (default: 0.5: the reverse pass amplifies rounding by up to 1/(1-β) per step, and 32 steps of float32 must stay finite).")
    private double beta = 0.5;

    @Option(names = "--warmup", description = "Untimed steps per configuration (default: 1).")
    private int warmup = 1;

    @Option(names = "--repeats", description = "Timed steps per configuration; the median is reported (default: 3).")
    private int repeats = 3;

    @Option(names = "--memory-runs", description = "Memory runs per configuration of a vertex method, at least;"
            + " the maximum is reported (default: 2). SameDiff graphs do one.")
    private int memoryRuns = 2;

    @Option(names = "--memory-samples", description = "Collecting samples per configuration of a vertex method, at"
            + " least: memory runs are repeated (up to 8) until reached, so short and long steps get about the same"
            + " number of chances to catch a short-lived peak (default: 2000).")
    private int memorySamples = 2000;

    @Option(names = "--timeout", description = "Seconds: a method whose step takes longer is skipped at larger step"
            + " budgets (default: 120).")
    private double timeout = 120;

    @Option(names = "--memory-limit", paramLabel = "GiB", description = "Resident memory a child JVM may use; a"
            + " configuration predicted to need more is skipped, one that grows past it is killed (default: the"
            + " machine's available memory minus 1 GiB, read before each configuration).")
    private Double memoryLimitGib;

    @Option(names = "--seed", description = "Random seed (default: 42).")
    private long seed = 42;

    @Option(names = "--chart", description = "PNG chart path (default: docs/img/bench-memory.png).")
    private Path chart = Path.of("docs", "img", "bench-memory.png");

    @Option(names = "--no-chart", description = "Do not write the chart.")
    private boolean noChart;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    /** Parses a method label. */
    static final class MethodConverter implements ITypeConverter<Method> {
        @Override
        public Method convert(String value) {
            return Method.of(value.trim());
        }
    }

    @Override
    public Integer call() {
        Settings s = new Settings(batch, channels, size, width, beta, steps, methods, warmup, repeats, memoryRuns,
                memorySamples, timeout, memoryLimitGib == null ? OptionalLong.empty()
                        : OptionalLong.of((long) (memoryLimitGib * (1L << 30))), seed);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String threads = Optional.ofNullable(System.getenv("OMP_NUM_THREADS")).orElse("unset");
        String setup = String.format(Locale.ROOT, "ConvResidualCell %d channels, width %d, batch %d, %dx%d, float32 (vertex: float64 state),"
                + " reversible solver beta %.2f forward, every step taken; OMP_NUM_THREADS=%s, %d cores",
                s.channels(), s.width(), s.batch(), s.size(), s.size(), s.beta(), threads,
                Runtime.getRuntime().availableProcessors());
        if (!json) {
            out.println("deq4j bench memory: " + setup);
            out.printf(Locale.ROOT, "%d warm-up + %d timed steps (median); memory runs (max): SameDiff 1, vertex at"
                    + " least %d and %d samples; timeout %.0f s; each configuration in a fresh JVM%n",
                    s.warmup(), s.repeats(), s.memoryRuns(), s.memorySamples(), s.timeoutSeconds());
            out.flush();
        }
        // ND4J prints autodiff progress ("Added differentiated op ...") to System.out; keep stdout for the report.
        PrintStream stdout = System.out;
        System.setOut(System.err);
        List<Result> results;
        try {
            // progress goes to stderr, also with --json (stdout stays one JSON object)
            results = MemoryBenchmark.run(s, r -> {
                err.printf(Locale.ROOT, "  %s at %d steps: %s%n", r.method(), r.steps(), r.measured()
                        ? String.format(Locale.ROOT, "%.2f s, peak %.1f MiB, RSS %.0f MiB", r.medianMillis() / 1000,
                                r.peakBytes() / MIB, r.residentBytes() / MIB)
                        : "skipped (" + r.skipped().orElseThrow() + ")");
                err.flush();
            });
        } finally {
            System.setOut(stdout);
        }
        Optional<Path> written = Optional.empty();
        if (!noChart) {
            try {
                MemoryChart.write(results, "deq4j bench memory: " + setup, chart);
                written = Optional.of(chart);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the chart " + chart + ": " + e.getMessage(), e);
            }
        }
        List<Target> targets = Target.evaluate(results);
        if (json) {
            out.println(Json.write(toJson(s, results, targets, written, threads)));
        } else {
            out.print(table(results));
            for (Target t : targets) {
                out.println(t.describe());
            }
            written.ifPresent(p -> out.println("chart: " + p));
            out.println(MEMORY_NOTE);
        }
        out.flush();
        return 0;
    }

    /** The table; a skipped row points to its reason, printed below the table. */
    private static String table(List<Result> results) {
        TextTable t = new TextTable("method", "steps", "median s", "min s", "peak MiB", "min peak MiB", "runs",
                "samples", "retained MiB", "RSS MiB", "loss");
        List<String> notes = new ArrayList<>();
        for (Result r : results) {
            if (r.measured()) {
                t.row(r.method().label(), r.steps(), sec(r.medianMillis()), sec(r.minMillis()), mib(r.peakBytes()),
                        mib(r.peakMinBytes()), r.memoryRuns(), r.samples(), mib(r.retainedBytes()),
                        mib(r.residentBytes()), String.format(Locale.ROOT, "%.6g", r.loss()));
            } else {
                notes.add(r.skipped().orElseThrow());
                t.row(r.method().label(), r.steps(), "skipped (" + notes.size() + ")", "", "", "", "", "", "", "",
                        "");
            }
        }
        StringBuilder out = new StringBuilder(t.render());
        for (int i = 0; i < notes.size(); i++) {
            out.append('(').append(i + 1).append(") ").append(notes.get(i)).append('\n');
        }
        return out.toString();
    }

    /**
     * One of the acceptance targets, evaluated on the results.
     *
     * @param name  what is compared
     * @param value the measured ratio, empty if a needed row is missing
     * @param bound the target bound
     * @param upper whether the bound is an upper bound (else a lower bound)
     */
    record Target(String name, Optional<Double> value, double bound, boolean upper) {
        static List<Target> evaluate(List<Result> results) {
            List<Target> t = new ArrayList<>();
            for (Method rev : new Method[] {Method.SAMEDIFF_REVERSIBLE, Method.VERTEX_REVERSIBLE}) {
                Method unr = rev == Method.SAMEDIFF_REVERSIBLE ? Method.SAMEDIFF_UNROLLED : Method.VERTEX_UNROLLED;
                t.add(new Target(rev.label() + " peak at 32 steps / at 2 steps",
                        ratio(find(results, rev, 32).map(r -> (double) r.peakBytes()),
                                find(results, rev, 2).map(r -> (double) r.peakBytes())), 1.10, true));
                t.add(new Target(unr.label() + " peak / " + rev.label() + " peak at 16 steps",
                        ratio(find(results, unr, 16).map(r -> (double) r.peakBytes()),
                                find(results, rev, 16).map(r -> (double) r.peakBytes())), 3.0, false));
                t.add(new Target(rev.label() + " time / " + unr.label() + " time at 4 steps",
                        ratio(find(results, rev, 4).map(Result::medianMillis),
                                find(results, unr, 4).map(Result::medianMillis)), 1.6, true));
            }
            return t;
        }

        private static Optional<Result> find(List<Result> results, Method m, int steps) {
            return results.stream().filter(r -> r.method() == m && r.steps() == steps && r.measured()).findFirst();
        }

        private static Optional<Double> ratio(Optional<Double> a, Optional<Double> b) {
            return a.flatMap(x -> b.map(y -> x / y));
        }

        Optional<Boolean> met() {
            return value.map(v -> upper ? v <= bound : v >= bound);
        }

        String describe() {
            String goal = (upper ? "<= " : ">= ") + bound;
            return value.map(v -> String.format(Locale.ROOT, "target %s: %.2fx (%s): %s", name, v, goal,
                    met().orElseThrow() ? "met" : "NOT met"))
                    .orElse("target " + name + " (" + goal + "): not measured");
        }
    }

    private static Map<String, Object> toJson(Settings s, List<Result> results, List<Target> targets,
            Optional<Path> chart, String threads) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("cell", "conv_residual");
        settings.put("batch", s.batch());
        settings.put("channels", s.channels());
        settings.put("size", s.size());
        settings.put("width", s.width());
        settings.put("dtype", "float32");
        settings.put("beta", s.beta());
        settings.put("warmup", s.warmup());
        settings.put("repeats", s.repeats());
        settings.put("memoryRuns", s.memoryRuns());
        settings.put("timeoutSeconds", s.timeoutSeconds());
        settings.put("memorySamples", s.memorySamples());
        settings.put("memoryLimitBytes", s.memoryLimitBytes().isPresent() ? s.memoryLimitBytes().getAsLong() : null);
        settings.put("isolation", "one child JVM per configuration");
        settings.put("seed", s.seed());
        settings.put("ompNumThreads", threads);
        List<Object> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method().label());
            m.put("steps", r.steps());
            m.put("measured", r.measured());
            if (r.measured()) {
                m.put("medianMillis", r.medianMillis());
                m.put("minMillis", r.minMillis());
                m.put("peakBytes", r.peakBytes());
                m.put("peakMinBytes", r.peakMinBytes());
                m.put("memoryRuns", r.memoryRuns());
                m.put("samples", r.samples());
                m.put("retainedBytes", r.retainedBytes());
                m.put("residentBytes", r.residentBytes());
                m.put("loss", r.loss());
            } else {
                m.put("skipped", r.skipped().orElseThrow());
            }
            rows.add(m);
        }
        List<Object> goals = new ArrayList<>();
        for (Target t : targets) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", t.name());
            m.put("ratio", t.value().orElse(null));
            m.put("bound", t.bound());
            m.put("kind", t.upper() ? "at most" : "at least");
            m.put("met", t.met().orElse(null));
            goals.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("benchmark", "memory");
        root.put("settings", settings);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("backend", Nd4j.getBackend().getClass().getSimpleName());
        root.put("memoryMethod", MEMORY_NOTE);
        root.put("results", rows);
        root.put("targets", goals);
        root.put("chart", chart.map(Path::toString).orElse(null));
        return root;
    }

    private static String sec(double millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }
}
