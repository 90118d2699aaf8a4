package org.deq4j.train;

import java.util.Properties;
import org.deq4j.core.DeqException;

/**
 * Everything besides the model that a resumed run needs to continue exactly where it stopped.
 *
 * @param step             training steps completed
 * @param epoch            epochs completed
 * @param position         where the training iterator stands
 * @param plateau          the learning-rate rule's state (block average, best, count, scale)
 * @param seed             base of the per-step ND4J random seeds (dropout etc.)
 * @param learningRate     base learning rate; the rate in use is {@code learningRate * plateau.scale()}
 * @param trainingNanos    wall-clock time spent in training over all sessions
 */
public record TrainerState(long step, int epoch, StreamPosition position, ReduceOnPlateau.State plateau, long seed,
        double learningRate, long trainingNanos) {

    /** Version of the properties layout written by {@link #toProperties()}. */
    static final int FORMAT = 1;

    /** As properties; doubles in {@link Double#toString} form, which reads back to the identical value. */
    Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("format", Integer.toString(FORMAT));
        p.setProperty("step", Long.toString(step));
        p.setProperty("epoch", Integer.toString(epoch));
        p.setProperty("position.epoch", Integer.toString(position.epoch()));
        p.setProperty("position.offset", Long.toString(position.offset()));
        p.setProperty("plateau.blockSum", Double.toString(plateau.blockSum()));
        p.setProperty("plateau.blockCount", Integer.toString(plateau.blockCount()));
        p.setProperty("plateau.best", Double.toString(plateau.best()));
        p.setProperty("plateau.badCount", Integer.toString(plateau.badCount()));
        p.setProperty("plateau.scale", Double.toString(plateau.scale()));
        p.setProperty("plateau.reductions", Integer.toString(plateau.reductions()));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("learningRate", Double.toString(learningRate));
        p.setProperty("trainingNanos", Long.toString(trainingNanos));
        return p;
    }

    /**
     * Reads properties written by {@link #toProperties()}.
     *
     * @throws DeqException naming the key if one is missing or malformed, or if the format is unknown
     */
    static TrainerState fromProperties(Properties p) {
        int format = (int) integer(p, "format");
        if (format != FORMAT) {
            throw new DeqException("trainer state format " + format + " is not supported (expected " + FORMAT + ")");
        }
        return new TrainerState(integer(p, "step"), (int) integer(p, "epoch"),
                new StreamPosition((int) integer(p, "position.epoch"), integer(p, "position.offset")),
                new ReduceOnPlateau.State(real(p, "plateau.blockSum"), (int) integer(p, "plateau.blockCount"),
                        real(p, "plateau.best"), (int) integer(p, "plateau.badCount"), real(p, "plateau.scale"),
                        (int) integer(p, "plateau.reductions")),
                integer(p, "seed"), real(p, "learningRate"), integer(p, "trainingNanos"));
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new DeqException("trainer state lacks '" + key + "'");
        }
        return v;
    }

    private static long integer(Properties p, String key) {
        try {
            return Long.parseLong(value(p, key));
        } catch (NumberFormatException e) {
            throw new DeqException("trainer state '" + key + "' is not an integer: " + p.getProperty(key));
        }
    }

    private static double real(Properties p, String key) {
        try {
            return Double.parseDouble(value(p, key));
        } catch (NumberFormatException e) {
            throw new DeqException("trainer state '" + key + "' is not a number: " + p.getProperty(key));
        }
    }
}
