package org.deq4j.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.deq4j.cli.bench.MemoryBenchmark.Method;
import org.deq4j.cli.bench.MemoryBenchmark.Result;
import org.deq4j.cli.bench.MemoryBenchmark.Settings;

/**
 * Runs one configuration of {@link MemoryBenchmark} in a fresh JVM ({@link MemoryWorker}) with this
 * JVM's options and class path, and watches its resident memory.
 *
 * <p>Memory limit: {@code Settings.memoryLimitBytes}, or else the machine's available memory minus
 * 1 GiB, read right before the start. Three guards keep the child inside it: (1) a configuration whose
 * resident peak, extrapolated linearly from the method's two largest measured budgets, exceeds the
 * limit is not started (a skipped result names the prediction); (2) JavaCPP's limits
 * ({@code org.bytedeco.javacpp.maxbytes} and {@code maxphysicalbytes}) are set so that JavaCPP forces a
 * garbage collection, which frees unreachable ND4J arrays, when the process grows past the predicted
 * resident peak plus a margin, well before the limit where it can; (3) the child is killed if its
 * resident set passes the limit (read every 100 ms), which gives a skipped result. The child runs with
 * {@code MALLOC_ARENA_MAX=2}: each memory run uses a new thread, and glibc would otherwise give new
 * threads new malloc arenas that keep freed memory resident.
 */
final class ChildJvm {
    private static final long GIB = 1L << 30;
    private static final long POLL_MILLIS = 100;

    private ChildJvm() {
    }

    /**
     * Measures one configuration, or says why it was not measured.
     *
     * @param measured the method's measured results at smaller budgets, ascending (for the prediction)
     */
    static Result measure(Settings s, Method m, int steps, List<Result> measured) {
        long limit = s.memoryLimitBytes().orElseGet(() -> Resident.available().orElse(16 * GIB) - GIB);
        Optional<double[]> predicted = predict(measured, steps);
        if (predicted.isPresent() && predicted.get()[0] > limit) {
            return Result.skipped(m, steps, String.format(Locale.ROOT,
                    "predicted %.1f GiB resident (reachable peak %.1f GiB), extrapolated from %d and %d steps,"
                            + " > %.1f GiB available", predicted.get()[0] / GIB, predicted.get()[1] / GIB,
                    measured.get(measured.size() - 2).steps(), measured.get(measured.size() - 1).steps(),
                    limit / (double) GIB));
        }
        long physical = predicted.map(p -> (long) Math.max(p[0] * 1.25, p[0] + 2 * GIB)).orElse(limit);
        physical = Math.min(physical, limit);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("deq4j-bench-memory");
            Path request = dir.resolve("request.properties");
            Path result = dir.resolve("result.properties");
            Path log = dir.resolve("child.log");
            MemoryWorker.writeRequest(s, m, steps, request);
            ProcessBuilder pb = new ProcessBuilder(command(limit, physical, request, result))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("MALLOC_ARENA_MAX", "2");
            Process p = pb.start();
            long highest = 0;
            boolean killed = false;
            while (!p.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                long rss = Resident.of(p.pid()).orElse(0);
                highest = Math.max(highest, rss);
                if (rss > limit) {
                    p.destroyForcibly();
                    p.waitFor();
                    killed = true;
                    break;
                }
            }
            if (killed) {
                return Result.skipped(m, steps, String.format(Locale.ROOT,
                        "killed: resident memory %.1f GiB passed the limit %.1f GiB", highest / (double) GIB,
                        limit / (double) GIB));
            }
            if (p.exitValue() != 0 || !Files.exists(result)) {
                return Result.skipped(m, steps, "child JVM exited with code " + p.exitValue()
                        + (p.exitValue() == 137 ? " (SIGKILL: out of memory?)" : "") + lastError(log));
            }
            Result r = MemoryWorker.readResult(result);
            return r.residentBytes() > 0 || highest == 0 ? r : r.withResident(highest);
        } catch (IOException e) {
            return Result.skipped(m, steps, "cannot run a child JVM: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a child JVM", e);
        } finally {
            deleteQuietly(dir);
        }
    }

    /**
     * {resident, reachable peak} at {@code steps}, extrapolated linearly from the last two results
     * (never below the last one); empty with fewer than two.
     */
    static Optional<double[]> predict(List<Result> measured, int steps) {
        if (measured.size() < 2 || measured.get(measured.size() - 1).residentBytes() <= 0) {
            return Optional.empty();
        }
        Result a = measured.get(measured.size() - 2);
        Result b = measured.get(measured.size() - 1);
        double span = b.steps() - a.steps();
        double resident = b.residentBytes()
                + Math.max(0, (b.residentBytes() - a.residentBytes()) / span) * (steps - b.steps());
        double peak = b.peakBytes() + Math.max(0, (b.peakBytes() - a.peakBytes()) / span) * (steps - b.steps());
        return Optional.of(new double[] {resident, peak});
    }

    /** This JVM's command line for the worker, with the JavaCPP limits replaced. */
    private static List<String> command(long maxBytes, long maxPhysical, Path request, Path result) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // JavaCPP limits are set below; a debugger agent would clash on its port
            if (!arg.startsWith("-Dorg.bytedeco.javacpp.maxbytes=")
                    && !arg.startsWith("-Dorg.bytedeco.javacpp.maxphysicalbytes=")
                    && !arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-Xrunjdwp")) {
                cmd.add(arg);
            }
        }
        cmd.add("-Dorg.bytedeco.javacpp.maxbytes=" + maxBytes);
        cmd.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + maxPhysical);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MemoryWorker.class.getName());
        cmd.add(request.toString());
        cmd.add(result.toString());
        return cmd;
    }

    /** ": " and the last line of the child's log that names an exception or error, if any. */
    private static String lastError(Path log) {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains("Exception") || l.contains("Error"))
                    .reduce((first, second) -> second).map(l -> ": " + l.trim()).orElse("");
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
