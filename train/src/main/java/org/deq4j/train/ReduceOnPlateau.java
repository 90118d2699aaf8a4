package org.deq4j.train;

import org.deq4j.core.DeqException;
import org.deq4j.core.InvalidConfigException;

/**
 * The RevDEQ paper's learning-rate rule (optax {@code contrib.reduce_on_plateau} semantics, without
 * cooldown): training losses are averaged over blocks of {@code window} steps; a block average
 * <em>improves</em> when it is below {@code (1 - rtol) * best}; after {@code patience} consecutive
 * block averages without improvement the scale is multiplied by {@code factor} and the count starts
 * again. Training stops once the scale is at or below {@code stopScale}.
 *
 * <p>Defaults (paper): window 200, patience 10, factor 0.5, stop at 1e-3 (reached after ten halvings,
 * 2^-10 ≈ 9.8e-4), rtol 1e-4 (optax's default). The rule is a plain state machine, separate from
 * DL4J, so it can be tested on a scripted loss sequence and saved exactly in a checkpoint via
 * {@link #state()} / {@link #restore(State)}. Not thread-safe.
 */
public final class ReduceOnPlateau {

    /**
     * Parameters of the rule.
     *
     * @param window    steps per block average, >= 1
     * @param patience  non-improving block averages tolerated before the scale is reduced, >= 1
     * @param factor    multiplier applied to the scale, in (0, 1)
     * @param stopScale scale at or below which training should stop, in [0, 1)
     * @param rtol      relative improvement required, in [0, 1)
     */
    public record Settings(int window, int patience, double factor, double stopScale, double rtol) {

        /** The paper's values: 200, 10, 0.5, 1e-3, 1e-4. */
        public static final Settings PAPER = new Settings(200, 10, 0.5, 1e-3, 1e-4);

        /** @throws InvalidConfigException if a value is out of range */
        public Settings {
            if (window < 1 || patience < 1) {
                throw new InvalidConfigException("plateau window and patience must be >= 1, got window=" + window
                        + ", patience=" + patience);
            }
            if (!(factor > 0 && factor < 1)) {
                throw new InvalidConfigException("plateau factor must be in (0, 1), got " + factor);
            }
            if (!(stopScale >= 0 && stopScale < 1)) {
                throw new InvalidConfigException("plateau stop scale must be in [0, 1), got " + stopScale);
            }
            if (!(rtol >= 0 && rtol < 1)) {
                throw new InvalidConfigException("plateau rtol must be in [0, 1), got " + rtol);
            }
        }
    }

    /**
     * Complete state of the rule, exact enough to continue bit-for-bit.
     *
     * @param blockSum   sum of the losses of the current, unfinished block
     * @param blockCount losses in the current block
     * @param best       best block average so far (+∞ before the first block)
     * @param badCount   consecutive non-improving block averages since the last improvement or reduction
     * @param scale      current learning-rate scale, 1 at the start
     * @param reductions how many times the scale has been reduced
     */
    public record State(double blockSum, int blockCount, double best, int badCount, double scale, int reductions) {

        /** The state before any loss was observed. */
        public static final State INITIAL = new State(0, 0, Double.POSITIVE_INFINITY, 0, 1, 0);
    }

    private final Settings settings;
    private State state = State.INITIAL;

    public ReduceOnPlateau(Settings settings) {
        this.settings = settings;
    }

    /** The rule's parameters. */
    public Settings settings() {
        return settings;
    }

    /**
     * Records one step's training loss.
     *
     * @return true if this loss completed a block whose outcome reduced the scale
     * @throws DeqException if {@code loss} is not finite (a diverged run must not be averaged)
     */
    public boolean observe(double loss) {
        if (!Double.isFinite(loss)) {
            throw new DeqException("training loss is not finite: " + loss);
        }
        double sum = state.blockSum() + loss;
        int count = state.blockCount() + 1;
        if (count < settings.window()) {
            state = new State(sum, count, state.best(), state.badCount(), state.scale(), state.reductions());
            return false;
        }
        double average = sum / count;
        boolean improved = average < (1 - settings.rtol()) * state.best();
        double best = improved ? average : state.best();
        int bad = improved ? 0 : state.badCount() + 1;
        boolean reduce = bad == settings.patience();
        state = new State(0, 0, best, reduce ? 0 : bad, reduce ? state.scale() * settings.factor() : state.scale(),
                reduce ? state.reductions() + 1 : state.reductions());
        return reduce;
    }

    /** Current learning-rate scale (1 at the start). */
    public double scale() {
        return state.scale();
    }

    /** Whether the scale has fallen to the stop threshold. */
    public boolean exhausted() {
        return state.scale() <= settings.stopScale();
    }

    /** A snapshot of the state for checkpoints. */
    public State state() {
        return state;
    }

    /** Continues from a snapshot taken by {@link #state()}. */
    public void restore(State snapshot) {
        this.state = snapshot;
    }
}
