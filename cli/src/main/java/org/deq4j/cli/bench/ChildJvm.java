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
import java.util.OptionalDouble;
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
 * 1 GiB, read right before the start. Three guards keep the child inside it: (1) once a method has
 * two measured budgets, its reachable peak at the next one is extrapolated linearly, and the resident
 * memory that needs ({@value #NEED_FACTOR} x peak + 2 GiB) must fit in the limit, else the
 * configuration is not started but reported as skipped with the prediction; (2) JavaCPP's
 * {@code org.bytedeco.javacpp.maxphysicalbytes} is set to that need (at least 4 GiB, at most the
 * limit), so that JavaCPP forces garbage collections, which free unreachable ND4J arrays, when the
 * process grows past it, long before the machine runs out (without it the unrolled SameDiff baseline's
 * resident size grew about 2.3 times as fast as its reachable peak); (3) the child is killed if its
 * resident set passes the limit or the machine's available memory falls below 0.5 GiB (both read every
 * 100 ms), which gives a skipped result. The child runs with
 * {@code MALLOC_ARENA_MAX=1}: memory runs use new threads, and glibc would otherwise give them new
 * malloc arenas that cannot reuse the memory the timed steps freed.
 */
final class ChildJvm {
    private static final long GIB = 1L << 30;
    private static final long POLL_MILLIS = 100;
    /**
     * Resident memory a configuration needs is taken as NEED_FACTOR x its reachable peak + NEED_BASE:
     * the JVM, native libraries and buffers outside ND4J's counter, and the garbage and allocator
     * pages of a step between collections (the unrolled SameDiff baseline at 8 steps, reachable peak
     * 3.9 GiB, needed about 7 GiB).
     */
    private static final double NEED_FACTOR = 1.5;
    private static final double NEED_BASE = 2.0 * GIB;
    /** The child is killed when the machine's available memory falls below this (other jobs share it). */
    private static final long MACHINE_RESERVE = GIB / 2;
    /** How the reason of a configuration skipped by the memory prediction starts. */
    static final String PREDICTED_TOO_BIG = "predicted reachable peak";

    private ChildJvm() {
    }

    /**
     * Measures one configuration, or says why it was not measured.
     *
     * @param measured the method's measured results at smaller budgets, ascending (for the prediction)
     */
    static Result measure(Settings s, Method m, int steps, List<Result> measured) {
        long limit = s.memoryLimitBytes().orElseGet(() -> Resident.available().orElse(16 * GIB) - GIB);
        OptionalDouble peak = predictPeak(measured, steps);
        double need = peak.isPresent() ? NEED_FACTOR * peak.getAsDouble() + NEED_BASE : 0;
        if (need > limit) {
            return Result.skipped(m, steps, PREDICTED_TOO_BIG + String.format(Locale.ROOT,
                    " %.1f GiB (extrapolated from %d and %d steps) needs about %.1f GiB"
                            + " resident > the %.1f GiB memory limit", peak.getAsDouble() / GIB,
                    measured.get(measured.size() - 2).steps(), measured.get(measured.size() - 1).steps(),
                    need / GIB, limit / (double) GIB));
        }
        long physical = peak.isPresent() ? Math.min(limit, (long) Math.max(need, 4.0 * GIB)) : limit;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("deq4j-bench-memory");
            Path request = dir.resolve("request.properties");
            Path result = dir.resolve("result.properties");
            Path log = dir.resolve("child.log");
            MemoryWorker.writeRequest(s, m, steps, request);
            ProcessBuilder pb = new ProcessBuilder(command(limit, physical, request, result))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("MALLOC_ARENA_MAX", "1");
            Process p = pb.start();
            // an interrupted or terminated parent (Ctrl-C) takes its child along
            Thread reaper = new Thread(p::destroyForcibly, "deq4j-child-reaper");
            Runtime.getRuntime().addShutdownHook(reaper);
            try {
                Optional<String> killed = watch(p, limit);
                if (killed.isPresent()) {
                    return Result.skipped(m, steps, killed.get());
                }
            } finally {
                p.destroyForcibly();
                Runtime.getRuntime().removeShutdownHook(reaper);
            }
            if (p.exitValue() != 0 || !Files.exists(result)) {
                return Result.skipped(m, steps, "child JVM exited with code " + p.exitValue()
                        + (p.exitValue() == 137 ? " (SIGKILL: out of memory?)" : "") + lastError(log));
            }
            return MemoryWorker.readResult(result);
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
     * Waits for the child, reading its resident set and the machine's available memory every
     * {@value #POLL_MILLIS} ms; kills it (and says why) if it passes the limit or the machine runs short.
     */
    private static Optional<String> watch(Process p, long limit) throws InterruptedException {
        while (!p.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            long rss = Resident.of(p.pid()).orElse(0);
            long available = Resident.available().orElse(Long.MAX_VALUE);
            if (rss > limit || available < MACHINE_RESERVE) {
                p.destroyForcibly();
                p.waitFor();
                return Optional.of(String.format(Locale.ROOT, rss > limit
                        ? "killed at %.1f GiB resident, past the %.1f GiB memory limit"
                        : "killed at %.1f GiB resident: the machine had less than %.1f GiB available",
                        rss / (double) GIB, rss > limit ? limit / (double) GIB : MACHINE_RESERVE / (double) GIB));
            }
        }
        return Optional.empty();
    }

    /**
     * The reachable peak at {@code steps}, extrapolated linearly from the last two results (never
     * below the last one); empty with fewer than two.
     */
    static OptionalDouble predictPeak(List<Result> measured, int steps) {
        if (measured.size() < 2) {
            return OptionalDouble.empty();
        }
        Result a = measured.get(measured.size() - 2);
        Result b = measured.get(measured.size() - 1);
        double perStep = Math.max(0, (b.peakBytes() - a.peakBytes()) / (double) (b.steps() - a.steps()));
        return OptionalDouble.of(b.peakBytes() + perStep * (steps - b.steps()));
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
