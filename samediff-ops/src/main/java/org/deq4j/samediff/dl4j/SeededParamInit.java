package org.deq4j.samediff.dl4j;

import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes the initial values of a graph cell's parameters into existing arrays (DL4J's parameter
 * views), following their {@link ParamSpec}s: {@code NORMAL_FAN_IN} draws from a normal
 * distribution with standard deviation {@code 1/sqrt(fanIn)} (LeCun normal, the graph cells'
 * convention), {@code ZEROS} and {@code ONES} are constant. One generator seeded with {@code seed}
 * draws the parameters in spec order, in float64, so a seed fixes every value whatever the network's
 * data type (up to rounding).
 */
final class SeededParamInit {
    private SeededParamInit() {
    }

    /**
     * @param specs  the cell's parameters, in order
     * @param arrays the arrays to fill, by parameter name
     * @throws InvalidConfigException if an array is missing or a random parameter has no positive fan-in
     */
    static void initialise(List<ParamSpec> specs, Map<String, INDArray> arrays, long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        for (ParamSpec spec : specs) {
            INDArray target = arrays.get(spec.name());
            if (target == null) {
                throw new InvalidConfigException("no parameter array for '" + spec.name() + "'");
            }
            switch (spec.init()) {
                case ZEROS -> target.assign(0);
                case ONES -> target.assign(1);
                case NORMAL_FAN_IN -> {
                    if (spec.fanIn() < 1) {
                        throw new InvalidConfigException("parameter " + spec + " needs a positive fan-in, got "
                                + spec.fanIn());
                    }
                    INDArray v = Nd4j.randn(Nd4j.createUninitialized(DataType.DOUBLE, spec.shape()), rng);
                    target.assign(v.muli(1.0 / Math.sqrt(spec.fanIn())));
                }
            }
        }
    }
}
