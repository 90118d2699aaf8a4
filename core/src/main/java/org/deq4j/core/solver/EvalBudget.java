package org.deq4j.core.solver;

import org.deq4j.core.InvalidConfigException;

/**
 * The step budget of an evaluation-time (inference) solve, derived from the training one: torchdeq's
 * {@code eval_factor} ({@link Scaled}) and {@code eval_f_max_iter} ({@link Fixed}). A DEQ trained with a
 * small budget usually gains accuracy from a few more steps at test time, where no backward pass pays
 * for them. The tolerance and stop mode stay the training ones, so a tolerance reached early still
 * ends the solve. {@link #SAME} leaves inference exactly as training.
 */
public sealed interface EvalBudget {

    /** Inference with the training budget (factor 1): today's behaviour, bit for bit. */
    EvalBudget SAME = new Scaled(1.0);

    /**
     * The inference stopping rule for a training one.
     *
     * @param training the training stopping rule
     * @return a rule with the same tolerance and mode and this budget's step count
     */
    StopCriterion apply(StopCriterion training);

    /** Whether inference solves exactly like training. */
    default boolean isSame() {
        return equals(SAME);
    }

    /**
     * {@code ⌈factor · maxSteps⌉} steps (at least 1). torchdeq truncates instead; the two agree whenever
     * the product is a whole number, and rounding up never gives fewer steps than asked for.
     *
     * @param factor positive and finite; 1 is the training budget
     */
    record Scaled(double factor) implements EvalBudget {
        public Scaled {
            if (!(factor > 0) || Double.isInfinite(factor)) {
                throw new InvalidConfigException("eval_factor must be positive and finite, got " + factor);
            }
        }

        @Override
        public StopCriterion apply(StopCriterion training) {
            if (factor == 1.0) {
                return training;
            }
            // The slack keeps 1.1 × 10 (11.000000000000002 in binary) at 11 steps.
            double steps = Math.ceil(factor * training.maxSteps() - 1e-9);
            if (steps > Integer.MAX_VALUE) {
                throw new InvalidConfigException("eval_factor " + factor + " × f_max_iter " + training.maxSteps()
                        + " exceeds the largest step budget");
            }
            return new StopCriterion(Math.max(1, (int) steps), training.tol(), training.mode());
        }
    }

    /**
     * Exactly {@code maxSteps} steps, whatever the training budget (torchdeq's {@code eval_f_max_iter}).
     *
     * @param maxSteps at least 1
     */
    record Fixed(int maxSteps) implements EvalBudget {
        public Fixed {
            if (maxSteps < 1) {
                throw new InvalidConfigException("eval_f_max_iter must be at least 1, got " + maxSteps);
            }
        }

        @Override
        public StopCriterion apply(StopCriterion training) {
            return new StopCriterion(maxSteps, training.tol(), training.mode());
        }
    }
}
