package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import picocli.CommandLine;

/**
 * Every shipped run file and sweep file ({@code zoo/experiments}, {@code lm/experiments}) parses and validates
 * as a dry run: no data is read and nothing is trained, but every value goes through its option and the run
 * settings' checks, and the run files' values reach the settings.
 */
class ExperimentFilesTest {
    private static final Path ZOO = Path.of("..", "zoo", "experiments");
    private static final Path LM = Path.of("..", "lm", "experiments");
    /** Run-file keys whose values the dry run prints under their settings name. */
    private static final Map<String, String> SETTINGS = Map.of("preset", "preset", "gradient", "gradient",
            "solver-steps", "solverSteps", "batch-size", "batchSize", "tokenizer", "tokenizer");

    static Stream<Path> runFiles() throws IOException {
        return Stream.concat(list(ZOO), list(LM)).filter(p -> !isSweep(p));
    }

    static Stream<Path> sweepFiles() throws IOException {
        return Stream.concat(list(ZOO), list(LM)).filter(ExperimentFilesTest::isSweep);
    }

    private static Stream<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    private static boolean isSweep(Path p) {
        return p.getFileName().toString().endsWith(".sweep.yaml");
    }

    @ParameterizedTest
    @MethodSource("runFiles")
    void runFileValidates(Path file) {
        List<String> args = new ArrayList<>(file.startsWith(LM) ? List.of("lm", "train") : List.of("train"));
        args.addAll(List.of("--config", file.toString(), "--dry-run"));
        CliRun r = CliRun.of(args.toArray(new String[0]));
        assertEquals(0, r.exit(), file + ": " + r.err());
        RunFile values = RunFile.read(new CommandLine(new Main()), file);
        SETTINGS.forEach((key, setting) -> {
            if (values.values().containsKey(key)) {
                assertTrue(r.out().contains("  " + setting + ": " + values.values().get(key) + "\n"),
                        file + ": " + key + " in " + r.out());
            }
        });
        if (values.values().containsKey("beta")) {
            assertTrue(r.out().contains("  beta: " + Double.parseDouble(values.values().get("beta")) + "\n"), r.out());
        }
    }

    @ParameterizedTest
    @MethodSource("sweepFiles")
    void sweepFileValidates(Path file, @TempDir Path out) {
        CliRun r = CliRun.of("sweep", file.toString(), "--dry-run", "--out", out.toString());
        assertEquals(0, r.exit(), file + ": " + r.err());
        int cells = Integer.parseInt(r.out().replaceAll("(?s).*?, (\\d+) cells.*", "$1"));
        assertTrue(cells >= 2 && r.out().contains("[" + cells + "/" + cells + "]"), r.out());
        assertEquals(cells, r.out().split("run settings \\(dry run", -1).length - 1, "every cell checked: " + r.out());
    }

    /** One run file per model of the paper. */
    @Test
    void thePapersExperimentsHaveRunFiles() {
        for (Path p : List.of(ZOO.resolve("cifar10-paper.yaml"), ZOO.resolve("cifar100-paper.yaml"),
                ZOO.resolve("cifar10-single-deq.yaml"), LM.resolve("wikitext103-paper.yaml"))) {
            assertTrue(Files.isRegularFile(p), p.toString());
        }
    }
}
