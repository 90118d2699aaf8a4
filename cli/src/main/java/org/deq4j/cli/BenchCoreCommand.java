package org.deq4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.deq4j.cli.bench.CoreBenchmark;
import org.deq4j.cli.bench.CoreBenchmark.Method;
import org.deq4j.cli.bench.CoreBenchmark.Result;
import org.deq4j.cli.bench.CoreBenchmark.Settings;
import org.nd4j.linalg.factory.Nd4j;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j bench core}: forward+backward time and peak off-heap memory of the reversible,
 * unrolled and implicit adjoints (see {@link CoreBenchmark}). Prints a table, or one JSON object
 * with {@code --json}.
 */
@Command(name = "core", mixinStandardHelpOptions = true,
        description = {"Time and peak off-heap memory of one forward solve + backward pass, per adjoint and step"
                + " budget (TanhMlpCell, float64).", "", BenchCoreCommand.MEMORY_NOTE})
final class BenchCoreCommand implements Callable<Integer> {
    static final String MEMORY_NOTE = "Memory: libnd4j's count of allocated ND4J array bytes. 'peak' is the"
            + " highest REACHABLE count above the starting baseline, sampled after a full GC (System.gc(), then"
            + " freeing every buffer in ND4J's deallocation queues) right before and after every cell evaluation"
            + " of a separate run, so uncollected garbage never counts; the maximum over --memory-runs such runs"
            + " ('min' shows the lowest: runs differ when the JIT has meanwhile compiled a method and frees a dead"
            + " local's arrays earlier). 'sampled' is the raw count (garbage included) sampled every ~0.5 ms by a"
            + " background thread during an ordinary run: it depends on GC timing.";
    private static final double MIB = 1024.0 * 1024.0;

    @Spec
    private CommandSpec spec;

    @Option(names = "--steps", split = ",", paramLabel = "N", description = "Step budgets (default: 2,8,32).")
    private List<Integer> steps = List.of(2, 8, 32);

    @Option(names = "--adjoints", split = ",", paramLabel = "NAME",
            description = "Adjoints to measure: ${COMPLETION-CANDIDATES} (default: all).")
    private List<Method> methods = List.of(Method.values());

    @Option(names = "--repeats", description = "Timed runs per configuration; the median is reported (default: 5).")
    private int repeats = 5;

    @Option(names = "--warmup", description = "Untimed runs per configuration (default: 2).")
    private int warmup = 2;

    @Option(names = "--memory-runs", description = "Probed runs per configuration for the reachable peak; the"
            + " maximum is reported (default: 3).")
    private int memoryRuns = 3;

    @Option(names = "--state-size", description = "State width (default: 256).")
    private int stateSize = 256;

    @Option(names = "--input-size", description = "Injection width (default: 256).")
    private int inputSize = 256;

    @Option(names = "--batch", description = "Batch size (default: 64).")
    private int batch = 64;

    @Option(names = "--beta", description = "Reversible solver relaxation (default: 0.5).")
    private double beta = 0.5;

    @Option(names = "--contraction", description = "Spectral norm of the cell's recurrent weight (default: 0.9).")
    private double contraction = 0.9;

    @Option(names = "--seed", description = "Random seed (default: 42).")
    private long seed = 42;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    @Override
    public Integer call() {
        Settings s = new Settings(stateSize, inputSize, batch, beta, contraction, steps, methods, warmup, repeats,
                memoryRuns, seed);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String build = Nd4j.getBackend().buildInfo();
        boolean onednn = build.contains("HAVE_ONEDNN");
        if (!json) {
            out.printf(Locale.ROOT, "deq4j bench core: TanhMlpCell state %d, input %d, batch %d, float64 state and"
                    + " cell (PrecisionPolicy.DOUBLE), reversible solver beta %.2f forward for every adjoint,"
                    + " contraction %.2f, tolerance %.0e (every step is taken), %d warm-up + %d timed runs"
                    + " (median), %d memory runs (max)%n", s.stateSize(), s.inputSize(), s.batch(), s.beta(),
                    s.contraction(), CoreBenchmark.TOL, s.warmup(), s.repeats(), s.memoryRuns());
            out.printf("ND4J backend: %s, %d cores, oneDNN %s%n", Nd4j.getBackend().getClass().getSimpleName(),
                    Runtime.getRuntime().availableProcessors(), onednn ? "loaded (HAVE_ONEDNN)" : "NOT loaded");
            out.flush();
        }
        List<Result> results = CoreBenchmark.run(s, r -> {
            if (!json) {
                err.printf(Locale.ROOT, "  measured %s at %d steps%n", r.method().adjointName(), r.steps());
                err.flush();
            }
        });
        if (json) {
            out.println(Json.write(toJson(s, results, build, onednn)));
        } else {
            out.print(table(results));
            out.println(growth(results));
            out.println(MEMORY_NOTE);
        }
        out.flush();
        return 0;
    }

    private static String table(List<Result> results) {
        TextTable t = new TextTable("adjoint", "steps", "forward ms", "backward ms", "total ms", "peak MiB",
                "min MiB", "sampled MiB", "evals fwd/bwd", "drift");
        for (Result r : results) {
            t.row(r.method().adjointName(), r.steps(), ms(r.forwardMillis()), ms(r.backwardMillis()),
                    ms(r.totalMillis()), mib(r.reachablePeakBytes()), mib(r.reachablePeakMinBytes()),
                    mib(r.sampledPeakBytes()),
                    r.forwardEvaluations() + "/" + r.backwardEvaluations(),
                    r.drift().isPresent() ? String.format(Locale.ROOT, "%.1e", r.drift().getAsDouble()) : "-");
        }
        return t.render();
    }

    /** Per adjoint: reachable peak at the largest step budget over the peak at the smallest. */
    private static String growth(List<Result> results) {
        StringBuilder sb = new StringBuilder(
                "peak growth, largest over smallest step budget, from the max (and min) peak of the runs:");
        Map<String, double[]> ratios = growthRatios(results);
        ratios.forEach((name, r) -> sb.append(String.format(Locale.ROOT, " %s %.2fx (%.2fx)", name, r[0], r[1])));
        return sb.toString();
    }

    /** Per adjoint: {max-peak ratio, min-peak ratio} of the largest over the smallest step budget. */
    private static Map<String, double[]> growthRatios(List<Result> results) {
        Map<String, double[]> ratios = new LinkedHashMap<>();
        for (Method m : Method.values()) {
            List<Result> mine = results.stream().filter(r -> r.method() == m).toList();
            if (mine.size() < 2) {
                continue;
            }
            Result lo = mine.stream().min((a, b) -> Integer.compare(a.steps(), b.steps())).orElseThrow();
            Result hi = mine.stream().max((a, b) -> Integer.compare(a.steps(), b.steps())).orElseThrow();
            ratios.put(m.adjointName(), new double[] {
                (double) hi.reachablePeakBytes() / Math.max(1, lo.reachablePeakBytes()),
                (double) hi.reachablePeakMinBytes() / Math.max(1, lo.reachablePeakMinBytes())});
        }
        return ratios;
    }

    private static Map<String, Object> toJson(Settings s, List<Result> results, String build, boolean onednn) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("cell", "tanh_mlp");
        settings.put("stateSize", s.stateSize());
        settings.put("inputSize", s.inputSize());
        settings.put("batch", s.batch());
        settings.put("precision", "float64 state, float64 cell");
        settings.put("solver", "reversible");
        settings.put("beta", s.beta());
        settings.put("contraction", s.contraction());
        settings.put("tol", CoreBenchmark.TOL);
        settings.put("warmup", s.warmup());
        settings.put("repeats", s.repeats());
        settings.put("memoryRuns", s.memoryRuns());
        settings.put("seed", s.seed());
        List<Object> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("adjoint", r.method().adjointName());
            m.put("steps", r.steps());
            m.put("forwardMillis", r.forwardMillis());
            m.put("backwardMillis", r.backwardMillis());
            m.put("totalMillis", r.totalMillis());
            m.put("peakBytes", r.reachablePeakBytes());
            m.put("peakMinBytes", r.reachablePeakMinBytes());
            m.put("sampledPeakBytes", r.sampledPeakBytes());
            m.put("forwardEvaluations", r.forwardEvaluations());
            m.put("backwardEvaluations", r.backwardEvaluations());
            m.put("drift", r.drift().isPresent() ? r.drift().getAsDouble() : null);
            rows.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("benchmark", "core");
        root.put("settings", settings);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("onednn", onednn);
        root.put("backendBuild", build);
        root.put("memoryMethod", MEMORY_NOTE);
        root.put("results", rows);
        Map<String, Object> growth = new LinkedHashMap<>();
        growthRatios(results).forEach((name, r) -> {
            Map<String, Object> pair = new LinkedHashMap<>();
            pair.put("max", r[0]);
            pair.put("min", r[1]);
            growth.put(name, pair);
        });
        root.put("peakGrowth", growth);
        return root;
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / MIB);
    }
}
