package org.deq4j.samediff.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.config.NormConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** {@link CellNormalisation} in float64: σ against an SVD, the VJPs against central differences, initialisation. */
class CellNormalisationTest {
    private static final ConvResidualCell CONV = new ConvResidualCell(2, 2, 1, 1e-5, false);
    private static final MlpCell MLP = new MlpCell(5, 3);

    /** Stored arrays of a normalisation, initialised from the cell's seeded values. */
    private static Map<String, INDArray> stored(CellNormalisation n, long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        List<INDArray> initial = n.cell().parameters().stream()
                .map(s -> CellParameters.initialValue(s, rng, DataType.DOUBLE)).toList();
        Map<String, INDArray> arrays = new HashMap<>();
        for (ParamSpec s : n.parameters()) {
            arrays.put(s.name(), Nd4j.zeros(DataType.DOUBLE, s.shape()));
        }
        n.initialise(initial, rng, arrays::get);
        return arrays;
    }

    /** The largest singular value of w seen as a matrix with the last axis as columns, from an SVD. */
    private static double svdSigma(INDArray w) {
        long out = w.size(w.rank() - 1);
        INDArray m = w.reshape('c', w.length() / out, out).dup('f');
        INDArray s = Nd4j.create(DataType.DOUBLE, Math.min(m.rows(), m.columns()));
        Nd4j.getBlasWrapper().lapack().gesvd(m, s, null, null);
        return s.maxNumber().doubleValue();
    }

    @Test
    void powerIterationConvergesToTheLargestSingularValueOfMatricesAndKernels() {
        for (GraphCell cell : List.of(MLP, CONV)) {
            CellNormalisation one = CellNormalisation.of(cell, NormConfig.spectralNorm());
            Map<String, INDArray> arrays = stored(one, 3);
            CellNormalisation.Bound bound = one.bind(arrays::get, DataType.DOUBLE);
            List<ParamSpec> weights = cell.normalisableWeights();
            bound.refresh(false);
            double[] before = weights.stream().mapToDouble(w -> bound.sigma(w.name()).orElseThrow()).toArray();
            bound.refresh(true);
            double[] afterOne = weights.stream().mapToDouble(w -> bound.sigma(w.name()).orElseThrow()).toArray();
            CellNormalisation.Bound many = CellNormalisation.of(cell, NormConfig.spectralNorm().withPowerIterations(150))
                    .bind(arrays::get, DataType.DOUBLE);
            many.refresh(true);
            for (int k = 0; k < weights.size(); k++) {
                ParamSpec w = weights.get(k);
                double exact = svdSigma(arrays.get(w.name() + "_orig"));
                // uᵀWv with unit u, v never exceeds σ_max, and one iteration from random vectors is short of it
                assertTrue(before[k] < afterOne[k] && afterOne[k] < exact * (1 - 1e-6),
                        w + ": " + before[k] + " < " + afterOne[k] + " < " + exact);
                assertEquals(exact, many.sigma(w.name()).orElseThrow(), 1e-9 * exact, w.name());
                // the normalised weight has spectral norm g/σ·σ = 1 (g starts at the target norm 1)
                assertEquals(1.0, svdSigma(many.effective().get(cell.parameters().indexOf(w))), 1e-9, w.name());
            }
            assertEquals(1, bound.iterationSteps());
        }
    }

    @Test
    void inferenceRefreshLeavesUAndVAlone() {
        CellNormalisation sn = CellNormalisation.of(MLP, NormConfig.spectralNorm().withPowerIterations(3));
        Map<String, INDArray> arrays = stored(sn, 5);
        INDArray u = arrays.get("W_u").dup();
        CellNormalisation.Bound bound = sn.bind(arrays::get, DataType.DOUBLE);
        bound.refresh(false);
        assertEquals(u, arrays.get("W_u"));
        assertEquals(0, bound.iterationSteps());
        bound.refresh(true);
        assertTrue(u.distance2(arrays.get("W_u")) > 1e-6, "a training refresh advances u");
        assertEquals(1.0, arrays.get("W_u").norm2Number().doubleValue(), 1e-12);
    }

    @Test
    void weightNormStartsFromTheCellsOwnWeights() {
        CellNormalisation none = CellNormalisation.of(CONV, NormConfig.NONE);
        CellNormalisation wn = CellNormalisation.of(CONV, NormConfig.weightNorm());
        Map<String, INDArray> plain = stored(none, 9);
        List<INDArray> effective = wn.bind(stored(wn, 9)::get, DataType.DOUBLE).refresh(true);
        for (int i = 0; i < CONV.parameters().size(); i++) {
            ParamSpec p = CONV.parameters().get(i);
            assertTrue(plain.get(p.name()).equalsWithEps(effective.get(i), 1e-12), p.name());
        }
        assertEquals(List.of("conv1_W_v", "conv1_W_g", "gn1_gamma", "gn1_beta", "conv2_W_v", "conv2_W_g", "gn2_gamma",
                "gn2_beta", "gn3_gamma", "gn3_beta"), wn.parameters().stream().map(ParamSpec::name).toList());
        assertEquals(List.of(1L, 1L, 1L, 4L), List.of(box(wn.parameters().get(1).shape())));
    }

    @Test
    void inGraphWeightNormAgreesWithTheLayerForm() {
        CellNormalisation wn = CellNormalisation.of(CONV, NormConfig.weightNorm());
        Map<String, INDArray> arrays = stored(wn, 4);
        arrays.get("conv2_W_g").assign(Nd4j.createFromArray(0.5, 2.0).reshape(1, 1, 1, 2));
        INDArray layerForm = wn.bind(arrays::get, DataType.DOUBLE).refresh(false).get(3);
        SameDiff sd = SameDiff.create();
        SDVariable w = CellNormalisation.weightNorm(sd, sd.var("v", arrays.get("conv2_W_v")),
                sd.var("g", arrays.get("conv2_W_g")), 4);
        assertTrue(layerForm.equalsWithEps(w.eval(), 1e-12));
    }

    private static Long[] box(long[] a) {
        return java.util.Arrays.stream(a).boxed().toArray(Long[]::new);
    }

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of(NormConfig.weightNorm(), MLP),
                Arguments.of(NormConfig.weightNorm().withLearnScale(false).withTargetNorm(0.7), MLP),
                Arguments.of(NormConfig.weightNorm().withClip(0.9), CONV),
                Arguments.of(NormConfig.spectralNorm(), MLP),
                Arguments.of(NormConfig.spectralNorm().withLearnScale(false).withTargetNorm(0.5), CONV),
                Arguments.of(NormConfig.spectralNorm().withClip(1.05), CONV));
    }

    /**
     * L = Σ R ⊙ W(stored) for a random R: the backward pass against central differences over every
     * stored parameter (u and v fixed: inference refreshes), with gains spread so that clipping, where
     * configured, is active for some output units and not for others.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    void vjpMatchesCentralDifferences(NormConfig config, GraphCell cell) {
        CellNormalisation n = CellNormalisation.of(cell, config);
        Map<String, INDArray> arrays = stored(n, 11);
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(12);
        for (ParamSpec p : n.parameters()) {
            if (p.name().endsWith("_g")) {
                arrays.get(p.name()).assign(Nd4j.rand(rng, p.shape()).castTo(DataType.DOUBLE).muli(1.5).addi(0.3));
            }
        }
        CellNormalisation.Bound bound = n.bind(arrays::get, DataType.DOUBLE);
        bound.refresh(true);
        if (config.clip()) {
            splitAroundTheClip(n, bound, arrays);
            bound.refresh(false);
        }
        List<INDArray> r = new ArrayList<>();
        for (ParamSpec p : cell.parameters()) {
            r.add(Nd4j.randn(rng, p.shape()).castTo(DataType.DOUBLE));
        }
        Map<String, INDArray> grads = new HashMap<>();
        for (ParamSpec p : n.parameters()) {
            grads.put(p.name(), Nd4j.valueArrayOf(p.shape(), Double.NaN, DataType.DOUBLE));
        }
        bound.backward(r, grads::get);
        double h = 1e-6;
        for (ParamSpec p : n.parameters()) {
            INDArray a = arrays.get(p.name());
            INDArray g = grads.get(p.name());
            if (n.isState(p.name())) {
                assertEquals(0.0, g.amaxNumber().doubleValue(), p.name());
                continue;
            }
            // every entry of small arrays, a spread of entries of kernels (seconds, not minutes)
            long stride = a.length() > 40 ? 5 : 1;
            for (long i = 0; i < a.length(); i += stride) {
                double x = a.getDouble(i);
                a.putScalar(i, x + h);
                double up = loss(bound.refresh(false), r);
                a.putScalar(i, x - h);
                double down = loss(bound.refresh(false), r);
                a.putScalar(i, x);
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g.getDouble(i), 1e-6 * Math.max(1, Math.abs(fd)), p.name() + "[" + i + "]");
            }
        }
    }

    /**
     * Sets the gains so that the factor g/‖v‖ (or g/σ) is half the clip value for even output units and
     * twice it for odd ones: both branches of the clip are differentiated.
     */
    private static void splitAroundTheClip(CellNormalisation n, CellNormalisation.Bound bound,
                                           Map<String, INDArray> arrays) {
        boolean spectral = n.config().type() == NormConfig.Type.SPECTRAL_NORM;
        for (ParamSpec w : n.cell().normalisableWeights()) {
            INDArray g = arrays.get(w.name() + "_g");
            long out = g.length();
            INDArray m = arrays.get(w.name() + (spectral ? "_orig" : "_v"));
            INDArray cols = m.reshape('c', m.length() / out, out);
            for (long j = 0; j < out; j++) {
                double denominator = spectral ? bound.sigma(w.name()).orElseThrow()
                        : cols.getColumn(j).norm2Number().doubleValue();
                g.putScalar(j, denominator * n.config().clipValue() * (j % 2 == 0 ? 0.5 : 2.0));
            }
        }
    }

    private static double loss(List<INDArray> w, List<INDArray> r) {
        double s = 0;
        for (int i = 0; i < w.size(); i++) {
            s += w.get(i).mul(r.get(i)).sumNumber().doubleValue();
        }
        return s;
    }

    @Test
    void aCellWithoutWeightsCannotBeNormalised() {
        ConvResidualCell own = new ConvResidualCell(4, 1, 2, 1e-5, true);
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> CellNormalisation.of(own, NormConfig.spectralNorm()));
        assertTrue(e.getMessage().contains("spectral_norm") && e.getMessage().contains("no weights to normalise"),
                e.getMessage());
        assertEquals(own.parameters(), CellNormalisation.of(own, NormConfig.NONE).parameters());
    }
}
