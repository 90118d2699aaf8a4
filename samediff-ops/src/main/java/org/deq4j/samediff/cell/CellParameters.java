package org.deq4j.samediff.cell;

import java.util.ArrayList;
import java.util.List;

import org.deq4j.core.InvalidConfigException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Creates a {@link GraphCell}'s parameters as trainable SameDiff variables, initialised from their
 * {@link ParamSpec}s. Used by the RevDEQ op and by the unrolled baseline so both start from the
 * same numbers for the same seed.
 *
 * <p>Initialisations: {@link ParamSpec.Init#NORMAL_FAN_IN} draws from a normal distribution with
 * standard deviation {@code 1/sqrt(fanIn)} (LeCun normal, gain 1: it keeps a tanh MLP cell contractive
 * and the conv cell's GroupNorms make its scale irrelevant downstream); {@code ZEROS} and {@code ONES}
 * are constant. One random generator seeded with {@code seed} draws the parameters in
 * {@link GraphCell#parameters()} order, so a seed fixes every value.
 */
public final class CellParameters {
    private CellParameters() {
    }

    /**
     * Creates one {@link org.nd4j.autodiff.samediff.VariableType#VARIABLE} per parameter, named
     * {@code prefix + spec.name()} (e.g. prefix "deq1_" gives "deq1_conv1_W").
     *
     * @param dtype floating-point data type of the variables
     * @return the variables in {@link GraphCell#parameters()} order, ready for {@link GraphCell#apply}
     * @throws InvalidConfigException if {@code dtype} is not a floating-point type, a shape is not
     *         positive, a fan-in is not positive for a random initialisation, or a variable of one of
     *         the names already exists in {@code sd}
     */
    public static List<SDVariable> create(SameDiff sd, GraphCell cell, String prefix, long seed, DataType dtype) {
        if (!dtype.isFPType()) {
            throw new InvalidConfigException("cell parameters need a floating-point data type, got " + dtype);
        }
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        List<SDVariable> vars = new ArrayList<>();
        for (ParamSpec spec : cell.parameters()) {
            String name = prefix + spec.name();
            if (sd.hasVariable(name)) {
                throw new InvalidConfigException("cannot create cell parameter '" + name
                        + "': the graph already has a variable of that name; use another prefix");
            }
            vars.add(sd.var(name, initialValue(spec, rng, dtype)));
        }
        return List.copyOf(vars);
    }

    /** The initial value of one parameter, drawn from {@code rng} if random. */
    static INDArray initialValue(ParamSpec spec, Random rng, DataType dtype) {
        long[] shape = spec.shape();
        for (long s : shape) {
            if (s < 1) {
                throw new InvalidConfigException("parameter " + spec + " has a non-positive dimension");
            }
        }
        return switch (spec.init()) {
            case ZEROS -> Nd4j.zeros(dtype, shape);
            case ONES -> Nd4j.ones(dtype, shape);
            case NORMAL_FAN_IN -> {
                if (spec.fanIn() < 1) {
                    throw new InvalidConfigException("parameter " + spec + " needs a positive fan-in, got " + spec.fanIn());
                }
                // Drawn in float64 so the values for a seed do not depend on dtype (up to rounding).
                INDArray v = Nd4j.randn(Nd4j.createUninitialized(DataType.DOUBLE, shape), rng);
                yield v.muli(1.0 / Math.sqrt(spec.fanIn())).castTo(dtype);
            }
        };
    }
}
