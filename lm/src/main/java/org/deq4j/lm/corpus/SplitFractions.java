package org.deq4j.lm.corpus;

import org.deq4j.core.InvalidConfigException;

/**
 * How a single-source corpus is divided: the first {@code train} fraction of every document goes to the
 * training split, the next {@code validation} fraction to validation, the rest to test.
 *
 * @param train      fraction in (0, 1)
 * @param validation fraction in [0, 1), with {@code train + validation <= 1}
 */
public record SplitFractions(double train, double validation) {

    /** 90 % / 5 % / 5 %. */
    public static final SplitFractions DEFAULT = new SplitFractions(0.90, 0.05);

    public SplitFractions {
        if (!(train > 0 && train < 1) || !(validation >= 0 && validation < 1) || train + validation > 1) {
            throw new InvalidConfigException("split fractions need 0 < train < 1, 0 <= validation < 1 and"
                    + " train + validation <= 1; got train=" + train + ", validation=" + validation);
        }
    }

    /** The remainder, {@code 1 - train - validation}. */
    public double test() {
        return 1 - train - validation;
    }
}
