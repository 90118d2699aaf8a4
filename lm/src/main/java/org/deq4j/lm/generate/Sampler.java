package org.deq4j.lm.generate;

import java.util.Arrays;
import java.util.random.RandomGenerator;

import org.deq4j.core.InvalidConfigException;

/**
 * Draws a token from next-token probabilities with temperature and top-k: only the {@code topK} most
 * probable tokens can be drawn (ties at the k-th probability broken towards lower ids), with probabilities
 * proportional to {@code p^(1/temperature)}, i.e. a softmax of {@code logits / temperature}. Temperature 0
 * means greedy (the most probable token).
 *
 * @param temperature at least 0, finite
 * @param topK        at least 1; a value at or above the vocabulary size disables the cut
 */
public record Sampler(double temperature, int topK) {

    /** @throws InvalidConfigException if the temperature is negative or not finite, or topK is below 1 */
    public Sampler {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new InvalidConfigException("temperature must be >= 0 and finite, got " + temperature);
        }
        if (topK < 1) {
            throw new InvalidConfigException("top-k must be at least 1, got " + topK);
        }
    }

    /**
     * One draw.
     *
     * @param probabilities next-token probabilities (need not be normalised; not modified)
     * @param rng           source of randomness (unused when greedy)
     * @throws InvalidConfigException if the probabilities are empty, negative, NaN or all zero
     */
    public int sample(double[] probabilities, RandomGenerator rng) {
        int n = probabilities.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (!(probabilities[i] >= 0)) {
                throw new InvalidConfigException("probability of token " + i + " is " + probabilities[i]);
            }
            order[i] = i;
        }
        if (n == 0) {
            throw new InvalidConfigException("no probabilities to sample from");
        }
        Arrays.sort(order, (a, b) -> probabilities[a] != probabilities[b]
                ? Double.compare(probabilities[b], probabilities[a]) : Integer.compare(a, b));
        double top = probabilities[order[0]];
        if (!(top > 0)) {
            throw new InvalidConfigException("all probabilities are zero");
        }
        if (temperature == 0) {
            return order[0];
        }
        int k = Math.min(topK, n);
        double[] weights = new double[k];
        double total = 0;
        for (int j = 0; j < k; j++) {
            double p = probabilities[order[j]];
            // p^(1/T) relative to the top probability, computed in logs so small T does not underflow the top
            weights[j] = p > 0 ? Math.exp((Math.log(p) - Math.log(top)) / temperature) : 0;
            total += weights[j];
        }
        double u = rng.nextDouble() * total;
        for (int j = 0; j < k; j++) {
            u -= weights[j];
            if (u < 0) {
                return order[j];
            }
        }
        return order[0];
    }
}
