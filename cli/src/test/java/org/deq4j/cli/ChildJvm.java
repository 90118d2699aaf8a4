package org.deq4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the command line in a fresh JVM with the tests' class path, its console going to a log file. */
final class ChildJvm {
    private ChildJvm() {
    }

    /** Starts {@code deq4j args...}; stdout and stderr go to {@code log}. */
    static Process start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /**
     * Starts {@code deq4j args...} with files limited to {@code kib} KiB each ({@code ulimit -f}): a write
     * beyond that fails with "File too large" as on a full disk (the JVM ignores SIGXFSZ).
     */
    static Process startWithFileSizeLimit(Path log, long kib, String... args) throws IOException {
        return start(log, List.of("bash", "-c", "ulimit -f " + kib + " && exec \"$@\"", "bash"), args);
    }

    private static Process start(Path log, List<String> prefix, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        String ext = System.getProperty("org.bytedeco.javacpp.platform.extension");
        if (ext != null) {
            cmd.add("-Dorg.bytedeco.javacpp.platform.extension=" + ext);
        }
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The log's text, or the reason it cannot be read. */
    static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
