package org.deq4j.samediff.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deq4j.samediff.dl4j.DeqVertex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Cells register themselves as {@link GraphCellType} services: the registry finds deq4j's cells on
 * the class path, and a network configuration holding one loads in a fresh JVM that never called a
 * register method.
 */
class GraphCellServiceTest {
    @Test
    void builtInCellsAreServices() {
        Set<String> types = GraphCells.discovered().stream().map(GraphCellType::type).collect(Collectors.toSet());
        assertTrue(types.containsAll(Set.of(ConvResidualCell.TYPE, MlpCell.TYPE)), types.toString());
        GraphCell conv = GraphCells.discovered().stream().filter(t -> t.type().equals(ConvResidualCell.TYPE))
                .findFirst().orElseThrow().create(new ConvResidualCell(4, 2, 2, 1e-5, false).config());
        assertEquals(new ConvResidualCell(4, 2, 2, 1e-5, false), conv);
    }

    /** Child JVM entry point: reads a configuration JSON and prints the DEQ vertex's cell. */
    public static void main(String[] args) throws Exception {
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(
                Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        System.out.println("CELL " + ((DeqVertex) conf.getVertices().get("deq")).cell());
    }

    @Test
    void configurationLoadsInAFreshJvmWithoutRegistration(@TempDir Path dir) throws Exception {
        ConvResidualCell cell = new ConvResidualCell(4, 2, 2, 1e-5, false);
        String json = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addVertex("deq", DeqVertex.builder().cell(cell).build(), "in").setOutputs("deq").build().toJson();
        Path file = dir.resolve("conf.json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), GraphCellServiceTest.class.getName(), file.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("CELL " + cell), out);
    }
}
