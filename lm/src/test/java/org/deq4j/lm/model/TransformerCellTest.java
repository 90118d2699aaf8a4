package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.cell.CellVjp;
import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.core.check.FiniteDifferences;
import org.deq4j.core.check.FiniteDifferences.Directional;
import org.deq4j.core.state.State;
import org.deq4j.samediff.cell.GraphCells;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The transformer cell in float64 at d 8, 2 heads, MLP hidden 16, T 5, batch 2: value against a
 * plain-Java implementation, exact causality, and the SameDiff VJP against central finite differences.
 */
class TransformerCellTest {
    private static final long BATCH = 2;
    private static final DataType F64 = DataType.DOUBLE;

    @ParameterizedTest(name = "two hidden layers: {0}")
    @ValueSource(booleans = {false, true})
    void valueMatchesPlainJavaReference(boolean twoHidden) {
        TransformerCell cell = TestTransformers.tiny(twoHidden);
        List<INDArray> params = TestTransformers.randomParameters(cell, 1, F64);
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(2);
        INDArray z = TestTransformers.randn(rng, F64, BATCH, 5, 8);
        INDArray x = TestTransformers.randn(rng, F64, BATCH, 5, 8);

        INDArray value = TestTransformers.coreCell(cell, params).apply(State.of(z), State.of(x)).part(0);
        INDArray expected = new ReferenceTransformer(cell, params).apply(z, x);

        assertArrayEquals(expected.shape(), value.shape());
        double err = value.sub(expected).amaxNumber().doubleValue() / expected.amaxNumber().doubleValue();
        assertTrue(err < 1e-12, "relative error " + err);
    }

    @Test
    void laterPositionsNeverChangeEarlierOutputs() {
        TransformerCell cell = TestTransformers.tiny(true);
        SameDiffCell core = TestTransformers.coreCell(cell, TestTransformers.randomParameters(cell, 3, F64));
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(4);
        INDArray z = TestTransformers.randn(rng, F64, BATCH, 5, 8);
        INDArray x = TestTransformers.randn(rng, F64, BATCH, 5, 8);
        INDArray base = core.apply(State.of(z), State.of(x)).part(0);
        for (int first = 1; first < 5; first++) {
            for (INDArray changed : List.of(z, x)) {
                INDArray z2 = z.dup();
                INDArray x2 = x.dup();
                INDArray target = changed == z ? z2 : x2;
                target.get(positions(first, 5)).addi(TestTransformers.randn(rng, F64, BATCH, 5 - first, 8).muli(3));
                INDArray out = core.apply(State.of(z2), State.of(x2)).part(0);
                assertArrayEquals(flat(base.get(positions(0, first))), flat(out.get(positions(0, first))),
                        "positions before " + first + " changed when " + (changed == z ? "z" : "x") + " changed after");
                assertFalse(base.get(positions(first, 5)).equalsWithEps(out.get(positions(first, 5)), 1e-6),
                        "positions from " + first + " should depend on their own inputs");
            }
        }
    }

    @ParameterizedTest(name = "two hidden layers: {0}")
    @ValueSource(booleans = {false, true})
    void vjpMatchesCentralFiniteDifferences(boolean twoHidden) {
        TransformerCell cell = TestTransformers.tiny(twoHidden);
        List<INDArray> params = TestTransformers.randomParameters(cell, 5, F64);
        SameDiffCell core = TestTransformers.coreCell(cell, params);
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(6);
        INDArray z = TestTransformers.randn(rng, F64, BATCH, 5, 8);
        INDArray x = TestTransformers.randn(rng, F64, BATCH, 5, 8);
        INDArray g = TestTransformers.randn(rng, F64, BATCH, 5, 8);

        CellVjp vjp = core.valueAndVjp(State.of(z), State.of(x), State.of(g));
        assertTrue(vjp.value().part(0).equalsWithEps(core.apply(State.of(z), State.of(x)).part(0), 1e-14));

        List<String> names = new ArrayList<>(List.of("z", "x"));
        cell.parameters().forEach(s -> names.add(s.name()));
        List<INDArray> targets = new ArrayList<>(List.of(z, x));
        targets.addAll(params);
        List<INDArray> grads = new ArrayList<>(List.of(vjp.gz().part(0), vjp.gx().part(0)));
        grads.addAll(vjp.gParams());

        Directional fd = FiniteDifferences.directional(targets, grads, () -> loss(core, z, x, g), 1e-6, rng);
        Map<String, Double> errors = new LinkedHashMap<>();
        Map<String, Double> analytics = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            double numeric = fd.numeric().get(i);
            double analytic = fd.analytic().get(i);
            // Relative error, except that derivatives below 1e-2 (here only attnBk's, which is zero) are held
            // to an absolute 1e-8: the central difference's round-off is about |L|·1e-16/eps = 1e-9.
            errors.put(names.get(i), Math.abs(numeric - analytic) / Math.max(Math.max(Math.abs(numeric),
                    Math.abs(analytic)), 1e-2));
            analytics.put(names.get(i), analytic);
        }
        System.out.println("transformer cell VJP vs finite differences (relative error): " + errors);
        System.out.println("directional derivatives: " + analytics);
        errors.forEach((name, err) -> assertTrue(err < 1e-6, name + ": relative error " + err));
        // Adding a key bias adds q_i·b to every score of row i, which the softmax ignores: exactly zero.
        assertEquals(0, vjp.gParams().get(names.indexOf("attnBk") - 2).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void recreatedFromItsRegisteredConfig() {
        TransformerCell cell = new TransformerCell(768, 12, 3072, 448, 1e-5, true);
        assertTrue(GraphCells.types().contains(TransformerCell.TYPE));
        assertEquals(cell, GraphCells.create(TransformerCell.TYPE, cell.config()));
        Map<String, Object> asStrings = new LinkedHashMap<>();
        cell.config().forEach((k, v) -> asStrings.put(k, v.toString()));
        assertEquals(cell, GraphCells.create(TransformerCell.TYPE, asStrings));
    }

    @Test
    void parameterShapesFollowTheConfiguration() {
        TransformerCell one = new TransformerCell(768, 12, 3072, 448, 1e-5, false);
        TransformerCell two = new TransformerCell(768, 12, 3072, 448, 1e-5, true);
        // By hand: 2 LayerNorms 2·2·768, 4 attention maps 4·(768² + 768), MLP 768·3072 + 3072 + 3072·768 + 768.
        long oneHidden = 2 * 2 * 768 + 4 * (768L * 768 + 768) + (768L * 3072 + 3072) + (3072L * 768 + 768);
        assertEquals(oneHidden, one.parameterCount());
        assertEquals(oneHidden + 3072L * 3072 + 3072, two.parameterCount());
        assertEquals(64, two.headDim());
    }

    @Test
    void rejectsBadConfigurationsAndShapes() {
        assertThrows(InvalidConfigException.class, () -> new TransformerCell(10, 3, 16, 5, 1e-5, false));
        assertThrows(InvalidConfigException.class, () -> new TransformerCell(8, 2, 16, 0, 1e-5, false));
        assertThrows(InvalidConfigException.class, () -> new TransformerCell(8, 2, 16, 5, 0, false));
        Map<String, Object> missing = new LinkedHashMap<>(TestTransformers.tiny(false).config());
        missing.remove("heads");
        assertThrows(InvalidConfigException.class, () -> GraphCells.create(TransformerCell.TYPE, missing));
        Map<String, Object> fractional = new LinkedHashMap<>(TestTransformers.tiny(false).config());
        fractional.put("dModel", 8.5);
        assertThrows(InvalidConfigException.class, () -> GraphCells.create(TransformerCell.TYPE, fractional));
        fractional.put("dModel", "eight");
        assertThrows(InvalidConfigException.class, () -> GraphCells.create(TransformerCell.TYPE, fractional));
        TransformerCell cell = TestTransformers.tiny(false);
        assertArrayEquals(new long[] {-1, 5, 8}, cell.stateShape(new long[] {-1, 5, 8}));
        assertThrows(ShapeMismatchException.class, () -> cell.stateShape(new long[] {-1, 6, 8}));
    }

    private static INDArrayIndex[] positions(int from, int to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()};
    }

    /** The values in C order, for exact comparison (INDArray.equals allows 1e-5). */
    static double[] flat(INDArray a) {
        return a.dup('c').reshape(-1).toDoubleVector();
    }

    private static double loss(SameDiffCell cell, INDArray z, INDArray x, INDArray g) {
        return cell.apply(State.of(z), State.of(x)).part(0).mul(g).sumNumber().doubleValue();
    }
}
