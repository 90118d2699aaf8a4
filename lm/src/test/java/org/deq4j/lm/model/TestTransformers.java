package org.deq4j.lm.model;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.cell.SameDiffCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** Test fixtures: random parameters for a {@link TransformerCell} and a core cell built from it. */
final class TestTransformers {
    private TestTransformers() {
    }

    /** The tiny float64 configuration of the tests: d 8, 2 heads, MLP hidden 16, T 5. */
    static TransformerCell tiny(boolean twoHiddenLayers) {
        return new TransformerCell(8, 2, 16, 5, TransformerCell.DEFAULT_EPS, twoHiddenLayers);
    }

    /**
     * Random parameters in {@link TransformerCell#parameters()} order: weights normal with std
     * 1/sqrt(fan-in), LayerNorm gains 1 + N(0, 0.2²), biases and LayerNorm shifts N(0, 0.1²), so that
     * every parameter matters (a zero bias or unit gain would hide a wrongly wired one).
     */
    static List<INDArray> randomParameters(TransformerCell cell, long seed, DataType dtype) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        List<INDArray> values = new ArrayList<>();
        for (ParamSpec s : cell.parameters()) {
            INDArray r = Nd4j.randn(rng, s.shape()).castTo(DataType.DOUBLE);
            INDArray v = switch (s.init()) {
                case NORMAL_FAN_IN -> r.muli(1.0 / Math.sqrt(s.fanIn()));
                case ONES -> r.muli(0.2).addi(1.0);
                case ZEROS -> r.muli(0.1);
            };
            values.add(v.castTo(dtype));
        }
        return values;
    }

    /** A core cell running {@code cell}'s graph with these parameter arrays (live, not copied). */
    static SameDiffCell coreCell(TransformerCell cell, List<INDArray> values) {
        List<ParamSpec> specs = cell.parameters();
        SameDiffCell.Builder b = SameDiffCell.builder()
                .state("z", cell.contextLength(), cell.dModel())
                .injection("x", cell.contextLength(), cell.dModel());
        for (int i = 0; i < specs.size(); i++) {
            b.parameter(specs.get(i).name(), values.get(i));
        }
        return b.define(g -> {
            List<SDVariable> params = specs.stream().map(s -> g.param(s.name())).toList();
            return List.of(cell.apply(g.sd(), g.z(), g.x(), params));
        }).build();
    }

    /** Standard normal array of the given shape and type. */
    static INDArray randn(Random rng, DataType dtype, long... shape) {
        return Nd4j.randn(rng, shape).castTo(dtype);
    }
}
