package org.deq4j.samediff.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

class ConvResidualCellTest {
    private static final int C = 4;
    private static final int HW = 5;

    private static ConvResidualCell tiny(boolean weightNorm) {
        return new ConvResidualCell(C, 2, 2, 1e-5, weightNorm);
    }

    /** Random parameters, with affine scales and shifts away from their 1/0 initialisation. */
    static List<INDArray> randomParams(GraphCell cell, long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        List<INDArray> out = new ArrayList<>();
        for (ParamSpec p : cell.parameters()) {
            INDArray r = Nd4j.randn(Nd4j.createUninitialized(DataType.DOUBLE, p.shape()), rng);
            out.add(switch (p.init()) {
                case NORMAL_FAN_IN -> r.muli(1.0 / Math.sqrt(p.fanIn()));
                case ONES -> r.muli(0.3).addi(1.0);
                case ZEROS -> r.muli(0.3);
            });
        }
        return out;
    }

    static INDArray randn(long seed, long... shape) {
        return Nd4j.randn(Nd4j.createUninitialized(DataType.DOUBLE, shape),
                Nd4j.getRandomFactory().getNewRandomInstance(seed));
    }

    /** Builds {@code cell} on placeholders "z" and "x" of any batch size and the given parameters; returns the output's name. */
    private static String applyToPlaceholders(SameDiff sd, ConvResidualCell cell, List<INDArray> params) {
        SDVariable z = sd.placeHolder("z", DataType.DOUBLE, -1, C, HW, HW);
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, C, HW, HW);
        List<SDVariable> pv = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            pv.add(sd.var(cell.parameters().get(i).name(), params.get(i)));
        }
        return cell.apply(sd, z, x, pv).name();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void valueMatchesPlainReferenceWithDynamicBatch(boolean weightNorm) {
        ConvResidualCell cell = tiny(weightNorm);
        List<INDArray> params = randomParams(cell, 1);
        SameDiff sd = SameDiff.create();
        String out = applyToPlaceholders(sd, cell, params);
        ConvResidualReference ref = new ConvResidualReference(cell);
        for (int batch : new int[] {2, 3}) {
            INDArray zv = randn(10 + batch, batch, C, HW, HW);
            INDArray xv = randn(20 + batch, batch, C, HW, HW);
            INDArray got = sd.output(Map.of("z", zv, "x", xv), out).get(out);
            INDArray want = ref.apply(zv, xv, params);
            assertArrayEqualsTol(want, got, 1e-12, "batch " + batch);
        }
        // z = 0 makes the first GroupNorm see a constant input (zero variance): eps keeps it finite.
        INDArray zero = Nd4j.zeros(DataType.DOUBLE, 2, C, HW, HW);
        INDArray xv = randn(7, 2, C, HW, HW);
        assertArrayEqualsTol(ref.apply(zero, xv, params), sd.output(Map.of("z", zero, "x", xv), out).get(out),
                1e-12, "z = 0");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsMatchCentralFiniteDifferences(boolean weightNorm) {
        ConvResidualCell cell = tiny(weightNorm);
        List<INDArray> params = randomParams(cell, 2);
        INDArray z = randn(3, 2, C, HW, HW);
        INDArray x = randn(4, 2, C, HW, HW);
        INDArray g = randn(5, 2, C, HW, HW);

        SameDiff sd = SameDiff.create();
        SDVariable zv = sd.var("z", z.dup());
        SDVariable xv = sd.var("x", x.dup());
        List<SDVariable> pv = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of("z", "x"));
        for (int i = 0; i < params.size(); i++) {
            String name = cell.parameters().get(i).name();
            pv.add(sd.var(name, params.get(i).dup()));
            names.add(name);
        }
        cell.apply(sd, zv, xv, pv).mul(sd.constant(g)).sum().markAsLoss();
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), names);

        ConvResidualReference ref = new ConvResidualReference(cell);
        List<INDArray> all = new ArrayList<>(List.of(z, x));
        all.addAll(params);
        java.util.function.DoubleSupplier loss = () -> ref.apply(all.get(0), all.get(1), all.subList(2, all.size()))
                .mul(g).sumNumber().doubleValue();
        java.util.Random pick = new java.util.Random(6);
        double h = 1e-6;
        for (int k = 0; k < names.size(); k++) {
            INDArray a = all.get(k);
            INDArray grad = grads.get(names.get(k));
            assertArrayEqualsShape(a, grad, names.get(k));
            for (int t = 0; t < 4; t++) {
                long idx = pick.nextInt((int) a.length());
                double orig = a.getDouble(idx);
                a.putScalar(idx, orig + h);
                double up = loss.getAsDouble();
                a.putScalar(idx, orig - h);
                double down = loss.getAsDouble();
                a.putScalar(idx, orig);
                double fd = (up - down) / (2 * h);
                double ad = grad.getDouble(idx);
                assertEquals(fd, ad, 1e-6 * Math.max(1, Math.abs(fd)), names.get(k) + "[" + idx + "]");
            }
        }
    }

    @Test
    void samplesAreIndependent() {
        ConvResidualCell cell = tiny(false);
        List<INDArray> params = randomParams(cell, 3);
        SameDiff sd = SameDiff.create();
        String out = applyToPlaceholders(sd, cell, params);
        INDArray zv = randn(8, 2, C, HW, HW);
        INDArray xv = randn(9, 2, C, HW, HW);
        INDArray before = sd.output(Map.of("z", zv, "x", xv), out).get(out).dup();
        INDArray z2 = zv.dup();
        INDArray x2 = xv.dup();
        z2.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).muli(3).addi(1);
        x2.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).muli(-2);
        INDArray after = sd.output(Map.of("z", z2, "x", x2), out).get(out);
        assertEquals(before.slice(0), after.slice(0), "sample 0 must not depend on sample 1");
        assertFalse(before.slice(1).equalsWithEps(after.slice(1), 1e-6), "sample 1 must change");
    }

    @Test
    void graphSurvivesSaveAndLoad(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        ConvResidualCell cell = tiny(true);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.placeHolder("z", DataType.DOUBLE, -1, C, HW, HW);
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, C, HW, HW);
        List<SDVariable> pv = CellParameters.create(sd, cell, "c_", 4, DataType.DOUBLE);
        String out = cell.apply(sd, z, x, pv).name();
        Map<String, INDArray> in = Map.of("z", randn(13, 2, C, HW, HW), "x", randn(14, 2, C, HW, HW));
        INDArray want = sd.output(in, out).get(out);
        java.io.File file = dir.resolve("cell.sd").toFile();
        sd.save(file, true);
        SameDiff loaded = SameDiff.load(file, true);
        assertArrayEqualsTol(want, loaded.output(in, out).get(out), 0, "after save/load");
        List<INDArray> params = new ArrayList<>();
        pv.forEach(p -> params.add(p.getArr()));
        assertArrayEqualsTol(new ConvResidualReference(cell).apply(in.get("z"), in.get("x"), params), want, 1e-12,
                "CellParameters values");
    }

    @Test
    void configRoundTripsThroughRegistry() {
        ConvResidualCell cell = new ConvResidualCell(32, 3, 8, 1e-4, true);
        ConvResidualCell.register();
        assertTrue(GraphCells.types().contains(ConvResidualCell.TYPE));
        assertEquals(cell, GraphCells.create(ConvResidualCell.TYPE, cell.config()));
        // as after a serialisation round trip: numbers of other kinds, booleans as strings
        Map<String, Object> loose = new HashMap<>(cell.config());
        loose.put("channels", 32L);
        loose.put("width", 3.0);
        loose.put("weightNorm", "true");
        assertEquals(cell, GraphCells.create(ConvResidualCell.TYPE, loose));
        assertEquals(ConvResidualCell.DEFAULT_CHANNELS_PER_GROUP, ConvResidualCell.of(128, 1).channelsPerGroup());
        assertEquals(10, cell.parameters().size());
        assertEquals(8, ConvResidualCell.of(16, 1).parameters().size());
    }

    @Test
    void rejectsBadConfigurationAndShapes() {
        assertThrows(InvalidConfigException.class, () -> new ConvResidualCell(24, 1, 16, 1e-5, false));
        assertThrows(InvalidConfigException.class, () -> new ConvResidualCell(0, 1, 1, 1e-5, false));
        assertThrows(InvalidConfigException.class, () -> new ConvResidualCell(16, 0, 16, 1e-5, false));
        assertThrows(InvalidConfigException.class, () -> new ConvResidualCell(16, 1, 16, 0, false));
        assertThrows(InvalidConfigException.class, () -> ConvResidualCell.fromConfig(Map.of("channels", 16)));
        ConvResidualCell cell = ConvResidualCell.of(16, 1);
        assertThrows(ShapeMismatchException.class, () -> cell.stateShape(new long[] {-1, 8, 32, 32}));
        assertThrows(ShapeMismatchException.class, () -> cell.stateShape(new long[] {-1, 16}));
        assertEquals(List.of(-1L, 16L, 7L, 7L),
                java.util.Arrays.stream(cell.stateShape(new long[] {-1, 16, 7, 7})).boxed().toList());
    }

    private static void assertArrayEqualsShape(INDArray want, INDArray got, String what) {
        assertTrue(java.util.Arrays.equals(want.shape(), got.shape()), what + ": shape "
                + java.util.Arrays.toString(got.shape()) + " != " + java.util.Arrays.toString(want.shape()));
    }

    static void assertArrayEqualsTol(INDArray want, INDArray got, double tol, String what) {
        assertArrayEqualsShape(want, got, what);
        double err = want.sub(got.castTo(want.dataType())).amaxNumber().doubleValue();
        assertTrue(err <= tol * Math.max(1, want.amaxNumber().doubleValue()), what + ": max abs error " + err);
    }
}
