package org.deq4j.samediff.dl4j;

import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.samediff.cell.CellNormalisation;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
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
            INDArray target = target(arrays, spec.name());
            target.assign(CellParameters.initialValue(spec, rng, target.dataType()));
        }
    }

    /**
     * The stored parameters of a normalised cell: the cell's own initial values are drawn as above,
     * then turned into the stored ones by {@link CellNormalisation#initialise} (which draws spectral
     * norm's u and v from the same generator); without normalisation, exactly the values above.
     *
     * @param arrays the arrays to fill, by DL4J key of the stored parameters' names
     * @throws InvalidConfigException if an array is missing or a spec cannot be initialised
     */
    static void initialise(CellNormalisation normalisation, Map<String, INDArray> arrays, long seed) {
        if (normalisation.config().isNone()) {
            initialise(normalisation.cell().parameters(), arrays, seed);
            return;
        }
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        DataType type = target(arrays, normalisation.parameters().get(0).name()).dataType();
        List<INDArray> values = normalisation.cell().parameters().stream()
                .map(spec -> CellParameters.initialValue(spec, rng, type)).toList();
        normalisation.initialise(values, rng, name -> target(arrays, name));
    }

    private static INDArray target(Map<String, INDArray> arrays, String name) {
        INDArray target = arrays.get(DeqSettings.key(name));
        if (target == null) {
            throw new InvalidConfigException("no parameter array for '" + name + "'");
        }
        return target;
    }
}
