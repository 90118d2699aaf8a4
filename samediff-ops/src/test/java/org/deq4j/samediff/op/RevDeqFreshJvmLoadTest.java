package org.deq4j.samediff.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.samediff.cell.ConvResidualCell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A graph holding the RevDEQ op, saved here, loads and runs in a fresh JVM whose program calls only
 * {@code SameDiff.load} and {@code output} ({@link FreshJvmLoad}): the ops and their cells (the
 * MLP cell, and the conv cell, which only its {@code GraphCellType} service makes known) are found
 * with deq4j merely on the class path, and the child's outputs equal the parent's; the conv graph also
 * under locked dropout (the op's extra mask input and property).
 */
class RevDeqFreshJvmLoadTest {
    private record Saved(Path model, Path input, String output, Path result, INDArray expected) {
    }

    @Test
    void savedGraphRunsInAFreshJvmWithoutRegistration(@TempDir Path dir) throws Exception {
        List<Saved> graphs = List.of(mlp(dir), conv(dir, false), conv(dir, true));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FreshJvmLoad.class.getName()));
        for (Saved s : graphs) {
            cmd.addAll(List.of(s.model().toString(), s.input().toString(), s.output(), s.result().toString()));
        }
        Path log = dir.resolve("child.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM finished");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        for (Saved s : graphs) {
            INDArray actual = Nd4j.readBinary(s.result().toFile());
            assertEquals(DataType.DOUBLE, actual.dataType(), s.model().toString());
            assertArrayEquals(s.expected().shape(), actual.shape(), s.model().toString());
            double diff = actual.sub(s.expected()).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-12, s.model() + ": child differs from parent by " + diff + "\n" + out);
        }
    }

    /** The MLP fixture (state 8, batch 3, float64). */
    private static Saved mlp(Path dir) throws Exception {
        RevDeqFixture f = new RevDeqFixture(0.8, 6, 1e-300, 31);
        return save(dir, "mlp", f.sd, f.z, f.x);
    }

    /**
     * A small conv cell (4 channels, 5x5, batch 2, float64); with {@code dropout}, under locked dropout
     * with a (batch, channels, 1, 1) mask held as a constant of the graph.
     */
    private static Saved conv(Path dir, boolean dropout) throws Exception {
        ConvResidualCell cell = new ConvResidualCell(4, 2, 2, 1e-5, false);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 4, 5, 5);
        List<SDVariable> params = RevDeq.createParameters(sd, cell, "p_", 7, DataType.DOUBLE);
        RevDeq deq = RevDeq.of(cell, RevDeqFixture.float64(0.8, 4, 1e-300));
        SDVariable z;
        if (dropout) {
            Nd4j.getRandom().setSeed(9);
            INDArray m = new VariationalDropout(0.5).sample(DataType.DOUBLE, 2, 4, 1, 1);
            z = deq.apply(sd, x, params, sd.constant("mask", m));
        } else {
            z = deq.apply(sd, x, params);
        }
        INDArray xv = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(8), new long[] {2, 4, 5, 5})
                .castTo(DataType.DOUBLE);
        return save(dir, dropout ? "conv-dropout" : "conv", sd, z, xv);
    }

    private static Saved save(Path dir, String name, SameDiff sd, SDVariable z, INDArray x) throws Exception {
        INDArray expected = sd.output(Map.of("x", x), z.name()).get(z.name()).dup();
        assertEquals(DataType.DOUBLE, expected.dataType());
        File model = dir.resolve(name + ".sd").toFile();
        sd.save(model, true);
        Path input = dir.resolve(name + "-x.bin");
        Nd4j.saveBinary(x, input.toFile());
        return new Saved(model.toPath(), input, z.name(), dir.resolve(name + "-out.bin"), expected);
    }
}
