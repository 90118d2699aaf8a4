package org.deq4j.core;

import java.util.Objects;

import org.deq4j.core.adjoint.Adjoint;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.core.solver.EvalBudget;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.Solver;
import org.deq4j.core.solver.StopCriterion;
import org.deq4j.core.solver.StopMode;

/**
 * The complete, validated configuration of a DEQ layer: forward solver, gradient strategy
 * (adjoint), stopping rule, precision policy and training regularisation. The solver/adjoint pairing is checked on
 * construction. Build one with {@link #builder()}, or from torchdeq-style keys with
 * {@code org.deq4j.core.config.DeqConfigs.fromMap}.
 *
 * @param solver    forward solver
 * @param adjoint   gradient strategy; must be able to differentiate {@code solver}
 * @param stop      forward budget and tolerance
 * @param precision state and compute data types
 * @param jacobian  Jacobian regularisation applied by DEQ layers on training steps;
 *                  {@link JacobianRegularization#OFF} by default
 * @param eval      the step budget of inference solves ({@link Deq#infer}, a DL4J layer outside training)
 *                  relative to {@code stop}; {@link EvalBudget#SAME} solves as in training
 */
public record DeqConfig(Solver<?> solver, Adjoint adjoint, StopCriterion stop, PrecisionPolicy precision,
        JacobianRegularization jacobian, EvalBudget eval) {

    public DeqConfig {
        Objects.requireNonNull(solver, "solver");
        Objects.requireNonNull(adjoint, "adjoint");
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(jacobian, "jacobian");
        Objects.requireNonNull(eval, "eval");
        adjoint.requireCompatible(solver);
        eval.apply(stop); // an out-of-range product fails here, not at the first evaluation
    }

    /** The stopping rule of inference solves: {@code stop} with {@link #eval}'s budget. */
    public StopCriterion evalStop() {
        return eval.apply(stop);
    }

    /**
     * A configuration without Jacobian regularisation whose inference solves like training
     * ({@link EvalBudget#SAME}).
     */
    public DeqConfig(Solver<?> solver, Adjoint adjoint, StopCriterion stop, PrecisionPolicy precision) {
        this(solver, adjoint, stop, precision, JacobianRegularization.OFF, EvalBudget.SAME);
    }

    /** A builder starting from the RevDEQ vision defaults (see {@link Builder}). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().solver(solver).adjoint(adjoint).maxSteps(stop.maxSteps()).tol(stop.tol())
                .stopMode(stop.mode()).precision(precision).jacobian(jacobian).eval(eval);
    }

    /**
     * Builder of {@link DeqConfig}. Defaults are the RevDEQ paper's vision settings: reversible
     * solver with β = 0.8, reversible adjoint, 4 steps, relative tolerance 1e-6, float64 state with
     * a float32 cell, no Jacobian regularisation, inference with the training budget.
     */
    public static final class Builder {
        private Solver<?> solver = new ReversibleSolver(0.8);
        private Adjoint adjoint = new ReversibleAdjoint();
        private int maxSteps = 4;
        private double tol = 1e-6;
        private StopMode stopMode = StopMode.RELATIVE;
        private PrecisionPolicy precision = PrecisionPolicy.MIXED;
        private JacobianRegularization jacobian = JacobianRegularization.OFF;
        private EvalBudget eval = EvalBudget.SAME;

        private Builder() {
        }

        public Builder solver(Solver<?> solver) {
            this.solver = solver;
            return this;
        }

        public Builder adjoint(Adjoint adjoint) {
            this.adjoint = adjoint;
            return this;
        }

        public Builder maxSteps(int maxSteps) {
            this.maxSteps = maxSteps;
            return this;
        }

        public Builder tol(double tol) {
            this.tol = tol;
            return this;
        }

        public Builder stopMode(StopMode stopMode) {
            this.stopMode = stopMode;
            return this;
        }

        public Builder precision(PrecisionPolicy precision) {
            this.precision = precision;
            return this;
        }

        /** Jacobian regularisation on training steps; {@link JacobianRegularization#OFF} switches it off. */
        public Builder jacobian(JacobianRegularization jacobian) {
            this.jacobian = jacobian;
            return this;
        }

        /** The inference budget; see {@link #evalFactor} and {@link #evalMaxSteps} for the common cases. */
        public Builder eval(EvalBudget eval) {
            this.eval = eval;
            return this;
        }

        /**
         * Inference takes {@code ⌈factor · maxSteps⌉} steps (torchdeq's {@code eval_factor}).
         *
         * @throws InvalidConfigException if {@code factor} is not positive and finite
         */
        public Builder evalFactor(double factor) {
            return eval(new EvalBudget.Scaled(factor));
        }

        /**
         * Inference takes {@code maxSteps} steps (torchdeq's {@code eval_f_max_iter}).
         *
         * @throws InvalidConfigException if {@code maxSteps < 1}
         */
        public Builder evalMaxSteps(int maxSteps) {
            return eval(new EvalBudget.Fixed(maxSteps));
        }

        /**
         * @throws InvalidConfigException if a value is out of range or the adjoint cannot
         *         differentiate the solver
         */
        public DeqConfig build() {
            return new DeqConfig(solver, adjoint, new StopCriterion(maxSteps, tol, stopMode), precision, jacobian,
                    eval);
        }
    }
}
