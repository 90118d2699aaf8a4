package org.deq4j.cli.bench;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;

import org.deq4j.cli.bench.MemoryBenchmark.Method;
import org.deq4j.cli.bench.MemoryBenchmark.Result;
import org.deq4j.cli.bench.MemoryBenchmark.Settings;

/**
 * The main class of a {@link ChildJvm}: measures one configuration of {@link MemoryBenchmark} in this
 * JVM and writes the result. Usage: {@code MemoryWorker <request.properties> <result.properties>}; the
 * request holds the settings, the method and the step budget ({@link #writeRequest}), the result the
 * measurements and the process's peak resident set size ({@link #readResult}). Exits with 0 when the
 * result was written (also for a configuration that failed: the result then says why), 2 otherwise.
 */
public final class MemoryWorker {
    private MemoryWorker() {
    }

    /** Runs one configuration; see the class comment. */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: MemoryWorker <request.properties> <result.properties>");
            System.exit(2);
        }
        try {
            Properties request = load(Path.of(args[0]));
            Method m = Method.of(request.getProperty("method"));
            int steps = Integer.parseInt(request.getProperty("steps"));
            Settings s = new Settings(num(request, "batch"), num(request, "channels"), num(request, "size"),
                    num(request, "width"), Double.parseDouble(request.getProperty("beta")), List.of(steps), List.of(m),
                    num(request, "warmup"), num(request, "repeats"), num(request, "memoryRuns"),
                    num(request, "memorySamples"), Double.parseDouble(request.getProperty("timeoutSeconds")),
                    OptionalLong.empty(), Long.parseLong(request.getProperty("seed")));
            Result r = MemoryBenchmark.measureInProcess(s, m, steps);
            writeResult(r.withResident(Resident.peakOfThisProcess().orElse(-1)), Path.of(args[1]));
        } catch (RuntimeException | IOException e) {
            e.printStackTrace();
            System.exit(2);
        }
        // ND4J leaves non-daemon threads running
        System.exit(0);
    }

    /** Writes the request of one configuration for {@link #main}. */
    static void writeRequest(Settings s, Method m, int steps, Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("method", m.label());
        p.setProperty("steps", Integer.toString(steps));
        p.setProperty("batch", Integer.toString(s.batch()));
        p.setProperty("channels", Integer.toString(s.channels()));
        p.setProperty("size", Integer.toString(s.size()));
        p.setProperty("width", Integer.toString(s.width()));
        p.setProperty("beta", Double.toString(s.beta()));
        p.setProperty("warmup", Integer.toString(s.warmup()));
        p.setProperty("repeats", Integer.toString(s.repeats()));
        p.setProperty("memoryRuns", Integer.toString(s.memoryRuns()));
        p.setProperty("memorySamples", Integer.toString(s.memorySamples()));
        p.setProperty("timeoutSeconds", Double.toString(s.timeoutSeconds()));
        p.setProperty("seed", Long.toString(s.seed()));
        store(p, file);
    }

    private static void writeResult(Result r, Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("method", r.method().label());
        p.setProperty("steps", Integer.toString(r.steps()));
        r.skipped().ifPresent(why -> p.setProperty("skipped", why));
        p.setProperty("medianMillis", Double.toString(r.medianMillis()));
        p.setProperty("minMillis", Double.toString(r.minMillis()));
        p.setProperty("peakBytes", Long.toString(r.peakBytes()));
        p.setProperty("peakMinBytes", Long.toString(r.peakMinBytes()));
        p.setProperty("memoryRuns", Integer.toString(r.memoryRuns()));
        p.setProperty("samples", Integer.toString(r.samples()));
        p.setProperty("retainedBytes", Long.toString(r.retainedBytes()));
        p.setProperty("residentBytes", Long.toString(r.residentBytes()));
        p.setProperty("loss", Double.toString(r.loss()));
        store(p, file);
    }

    /** Reads what {@link #main} wrote. */
    static Result readResult(Path file) throws IOException {
        Properties p = load(file);
        return new Result(Method.of(p.getProperty("method")), num(p, "steps"),
                Double.parseDouble(p.getProperty("medianMillis")), Double.parseDouble(p.getProperty("minMillis")),
                Long.parseLong(p.getProperty("peakBytes")), Long.parseLong(p.getProperty("peakMinBytes")),
                num(p, "memoryRuns"), num(p, "samples"), Long.parseLong(p.getProperty("retainedBytes")),
                Long.parseLong(p.getProperty("residentBytes")), Double.parseDouble(p.getProperty("loss")),
                Optional.ofNullable(p.getProperty("skipped")));
    }

    private static int num(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("missing '" + key + "' in " + p.keySet());
        }
        return Integer.parseInt(v);
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        }
        return p;
    }

    private static void store(Properties p, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file)) {
            p.store(out, "deq4j bench memory");
        }
    }
}
