package org.deq4j.samediff.dl4j;

import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes the initial values of a graph cell's parameters into existing arrays (DL4J's parameter
 * views), drawing exactly what {@link CellParameters#create} draws for the same seed: one generator
 * seeded with {@code seed}, parameters in spec order, values from {@link CellParameters#initialValue}
 * ({@code NORMAL_FAN_IN}: normal with std {@code 1/sqrt(fanIn)}; {@code ZEROS}, {@code ONES}).
 */
final class SeededParamInit {
    private SeededParamInit() {
    }

    /**
     * @param specs  the cell's parameters, in order
     * @param arrays the arrays to fill, by DL4J key ({@code DeqSettings.key} of the parameter name)
     * @throws InvalidConfigException if an array is missing or a spec cannot be initialised
     */
    static void initialise(List<ParamSpec> specs, Map<String, INDArray> arrays, long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        for (ParamSpec spec : specs) {
            INDArray target = arrays.get(DeqSettings.key(spec.name()));
            if (target == null) {
                throw new InvalidConfigException("no parameter array for '" + spec.name() + "'");
            }
            target.assign(CellParameters.initialValue(spec, rng, target.dataType()));
        }
    }
}
