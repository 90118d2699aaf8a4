package org.deq4j.zoo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.train.AdamW;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps {@code zoo/configs/<preset>.json}, the presets' training configurations for DL4J users, in sync
 * with {@link ZooPreset}, {@link ImplicitResNet} and {@link AdamW}: every file must load with DL4J's own
 * {@link ComputationGraphConfiguration#fromJson}, equal the freshly built configuration and initialise a
 * graph with the same parameters. With {@code -Ddeq4j.regenerateConfigs=true} it rewrites the files
 * (and deletes those of presets that no longer exist) before checking them.
 */
class ZooConfigsTest {
    /** The zoo module's test working directory is {@code zoo/}. */
    private static final Path DIR = Path.of("configs");
    /** The seed {@code ./deq4j train} uses without {@code --seed}. */
    private static final long SEED = 42L;
    private static final boolean REGENERATE = Boolean.getBoolean("deq4j.regenerateConfigs");
    private static final String REGENERATE_COMMAND = "mvn -B test -pl zoo -am -Dtest=ZooConfigsTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Ddeq4j.regenerateConfigs=true";

    /**
     * What {@code ./deq4j train --preset P} trains without other options (TrainCommand: gradient
     * reversible, seed 42, the preset's learning rate, weight decay 1e-4), so a DL4J user who fits the
     * loaded configuration gets the documented recipe; must change with TrainCommand's defaults.
     */
    private static ComputationGraphConfiguration trainingConfiguration(ZooPreset p) {
        return AdamW.apply(ImplicitResNet.configuration(p, GradientStrategy.REVERSIBLE, SEED), p.learningRate(),
                AdamW.DEFAULT_WEIGHT_DECAY);
    }

    static Stream<String> presets() {
        return ZooPreset.names().stream();
    }

    private static Path file(String preset) {
        return DIR.resolve(preset + ".json");
    }

    /** The file's text: the JSON with '\n' line ends (Jackson's indenter uses the platform's) and a final newline. */
    private static String fileText(ComputationGraphConfiguration conf) {
        return conf.toJson().replace("\r\n", "\n").strip() + "\n";
    }

    private static String outOfDate(String preset, String what) {
        return file(preset).toAbsolutePath() + " " + what + ": the preset, ImplicitResNet or AdamW changed without"
                + " regenerating zoo/configs. Regenerate with: " + REGENERATE_COMMAND;
    }

    /** Regeneration runs before every check, so the checks then verify what was just written. */
    @BeforeAll
    static void regenerateIfAsked() throws IOException {
        if (!REGENERATE) {
            return;
        }
        Files.createDirectories(DIR);
        for (String stale : jsonFiles()) {
            if (!expected().contains(stale)) {
                Files.delete(DIR.resolve(stale));
            }
        }
        for (String preset : ZooPreset.names()) {
            Files.writeString(file(preset), fileText(trainingConfiguration(ZooPreset.named(preset))),
                    StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void configFileLoadsWithDl4jAndEqualsTheBuiltConfiguration(String preset) throws IOException {
        ZooPreset p = ZooPreset.named(preset);
        ComputationGraphConfiguration fresh = trainingConfiguration(p);
        assertTrue(Files.isRegularFile(file(preset)), () -> outOfDate(preset, "is missing"));
        String text = Files.readString(file(preset), StandardCharsets.UTF_8);
        // Loading it the way a DL4J user would: DL4J's own parser, deq4j only on the class path (the cell
        // types are found through ServiceLoader).
        ComputationGraphConfiguration loaded = ComputationGraphConfiguration.fromJson(text);
        assertSameText(fresh.toJson(), loaded.toJson(), () -> outOfDate(preset, "differs from the built configuration"));
        assertEquals(fresh, loaded, () -> outOfDate(preset, "differs from the built configuration"));
        // Same content but other formatting would still load; the exact text keeps a regeneration diff-free.
        assertSameText(fileText(fresh), text.replace("\r\n", "\n"), () -> outOfDate(preset, "is not formatted as"
                + " generated"));

        ComputationGraph built = new ComputationGraph(fresh);
        built.init();
        ComputationGraph fromFile = new ComputationGraph(loaded);
        fromFile.init();
        // params() counts the DEQ vertices' parameters too (ComputationGraph.numParams() sums layers only);
        // equal values show the seeds made the trip as well.
        assertEquals(built.params().length(), fromFile.params().length(), preset + " parameter count");
        assertEquals(built.params(), fromFile.params(), preset + " initial parameters");
    }

    @Test
    void everyConfigFileIsAPreset() throws IOException {
        assertEquals(expected(), new TreeSet<>(jsonFiles()), () -> DIR.toAbsolutePath() + " holds other configurations"
                + " than the presets " + ZooPreset.names() + ". Regenerate with: " + REGENERATE_COMMAND);
    }

    /** Like assertEquals, but names the first differing line instead of printing 60 kB of JSON twice. */
    private static void assertSameText(String expected, String actual, Supplier<String> message) {
        if (expected.equals(actual)) {
            return;
        }
        String[] e = expected.split("\\R", -1);
        String[] a = actual.split("\\R", -1);
        int i = 0;
        while (i < e.length && i < a.length && e[i].equals(a[i])) {
            i++;
        }
        fail(message.get() + "\nfirst difference at line " + (i + 1) + ": expected "
                + (i < e.length ? "'" + e[i].strip() + "'" : "the end") + ", file gives "
                + (i < a.length ? "'" + a[i].strip() + "'" : "the end"));
    }

    private static Set<String> expected() {
        return ZooPreset.names().stream().map(n -> n + ".json").collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> jsonFiles() throws IOException {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(DIR)) {
            return s.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
    }
}
