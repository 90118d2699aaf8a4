package org.deq4j.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Resident memory of processes and of the machine, read from Linux's {@code /proc}; every reading is
 * empty where {@code /proc} does not have it (another OS, a process that has exited).
 */
final class Resident {
    private Resident() {
    }

    /** This process's peak resident set size (VmHWM), bytes. */
    static OptionalLong peakOfThisProcess() {
        return kib(Path.of("/proc/self/status"), "VmHWM:");
    }

    /** The current resident set size (VmRSS) of a process, bytes. */
    static OptionalLong of(long pid) {
        return kib(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
    }

    /** Memory available for new processes without swapping (MemAvailable), bytes. */
    static OptionalLong available() {
        return kib(Path.of("/proc/meminfo"), "MemAvailable:");
    }

    /** A "Key:   123 kB" line of a /proc file, in bytes. */
    private static OptionalLong kib(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    String v = line.substring(key.length()).trim();
                    return OptionalLong.of(Long.parseLong(v.substring(0, v.indexOf(' '))) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return OptionalLong.empty();
    }
}
