package org.deq4j.samediff.op;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.adjoint.ReversibleAdjoint;
import org.deq4j.core.solver.ReversibleSolver;
import org.deq4j.core.solver.StopMode;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.samediff.cell.CellParameters;
import org.deq4j.samediff.cell.GraphCell;
import org.deq4j.samediff.cell.ParamSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A Reversible DEQ layer for SameDiff graphs: {@code z* ≈ f(z*, x; θ)} by the reversible solver,
 * differentiated by the exact reversible backward with the trajectory rebuilt, not stored.
 *
 * <pre>{@code
 * RevDeq deq = RevDeq.of(new MlpCell(64, 32), GradientStrategy.REVERSIBLE.config(4, 0.8, 1e-6));
 * List<SDVariable> theta = RevDeq.createParameters(sd, deq.cell(), "deq_", 42, DataType.FLOAT);
 * SDVariable z = deq.apply(sd, x, theta);       // then use z in the rest of the graph
 * }</pre>
 *
 * The graph then works with {@code calculateGradients}, {@code fit} and {@code save}/{@code load}:
 * both the forward solve and the backward pass are SameDiff while loops inside two custom ops
 * ({@link RevDeqForwardOp}, {@link RevDeqBackwardOp}). It is configured by a core {@link DeqConfig},
 * restricted to the pair it runs (reversible solver and adjoint, relative stopping). Instances are
 * immutable.
 *
 * <p>Locked dropout. The overloads taking a {@code mask} evaluate the cell at {@code m ⊙ z} in every
 * iteration of the forward loop and of the reverse loop, so a mask drawn once per training step
 * (see {@link org.deq4j.core.cell.VariationalDropout}) is shared by the solve and by its exact
 * backward. The mask is an ordinary input (typically a placeholder fed per step), broadcast against
 * the state in the compute type; its shape is {@link GraphCell#dropoutMaskShape} of the state shape.
 * Evaluate with the overloads without a mask: no dropout, no extra cost.
 */
public final class RevDeq {
    static {
        RevDeqOps.register();
    }

    private final GraphCell cell;
    private final DeqConfig config;
    private final double beta;
    private final long[] injectionShape;

    private RevDeq(GraphCell cell, DeqConfig config, double beta, long[] injectionShape) {
        this.cell = cell;
        this.config = config;
        this.beta = beta;
        this.injectionShape = injectionShape;
        spec(new long[] {-1}, false); // validates the settings now rather than at apply time
    }

    /**
     * The layer for {@code cell} configured by a core {@link DeqConfig}: its β, step budget,
     * tolerance and precision.
     *
     * @throws InvalidConfigException if the cell is missing, or the configuration is not the reversible pair (solver and
     *         adjoint 'reversible') with a relative tolerance, the only solve this op runs
     */
    public static RevDeq of(GraphCell cell, DeqConfig config) {
        if (!(config.solver() instanceof ReversibleSolver rev) || !(config.adjoint() instanceof ReversibleAdjoint)) {
            throw new InvalidConfigException("the RevDEQ op runs the reversible solver with the reversible adjoint,"
                    + " not solver '" + config.solver().name() + "' with adjoint '" + config.adjoint().name()
                    + "'; run other strategies on the core engine (org.deq4j.core.Deq)");
        }
        if (config.stop().mode() != StopMode.RELATIVE) {
            throw new InvalidConfigException("the RevDEQ op stops on the relative residual; the configuration asks for"
                    + " stop mode " + config.stop().mode());
        }
        if (cell == null) {
            throw new InvalidConfigException("RevDeq needs a cell");
        }
        return new RevDeq(cell, config, rev.beta(), null);
    }

    /**
     * This layer for injections whose shape SameDiff does not know, i.e. anything but a placeholder or
     * variable (for example the output of another RevDEQ layer): {@code shape} is the injection's shape,
     * its batch dimension ignored. By default the shape of x is used.
     */
    public RevDeq withInjectionShape(long... shape) {
        return new RevDeq(cell, config, beta, shape.clone());
    }

    public GraphCell cell() {
        return cell;
    }

    /** The configuration this layer was made from. */
    public DeqConfig config() {
        return config;
    }

    /** Relaxation β of the reversible solver. */
    public double beta() {
        return beta;
    }

    /** Step budget of the forward solve. */
    public int maxSteps() {
        return config.stop().maxSteps();
    }

    /** Relative residual at which a sample stops. */
    public double tol() {
        return config.stop().tol();
    }

    /** Data type of y, z and their gradients. */
    public DataType stateType() {
        return config.precision().stateType();
    }

    /** Data type the cell computes in. */
    public DataType computeType() {
        return config.precision().computeType();
    }

    /**
     * Adds the layer to {@code sd} and returns z_N, the fixed-point estimate, in the state type.
     *
     * @param x      the injection; its shape must be known up to the batch dimension
     * @param params the cell's parameters in {@link GraphCell#parameters()} order
     * @throws ShapeMismatchException if the parameters do not match the cell or x's shape is unknown
     */
    public SDVariable apply(SameDiff sd, SDVariable x, List<SDVariable> params) {
        return build(sd, x, params, Optional.empty(), false).z();
    }

    /**
     * {@link #apply} under locked dropout: every cell evaluation, forward and backward, sees
     * {@code mask ⊙ z}.
     *
     * @param mask the dropout mask, broadcastable against the state (see {@link GraphCell#dropoutMaskShape})
     */
    public SDVariable apply(SameDiff sd, SDVariable x, List<SDVariable> params, SDVariable mask) {
        return build(sd, x, params, Optional.of(mask), false).z();
    }

    /**
     * Like {@link #apply} but also returns y_N, the per-sample step counts and final residuals, as
     * ordinary tensors.
     */
    public Outputs solve(SameDiff sd, SDVariable x, List<SDVariable> params) {
        return build(sd, x, params, Optional.empty(), true);
    }

    /** {@link #solve} under locked dropout with {@code mask} (see {@link #apply(SameDiff, SDVariable, List, SDVariable)}). */
    public Outputs solve(SameDiff sd, SDVariable x, List<SDVariable> params, SDVariable mask) {
        return build(sd, x, params, Optional.of(mask), true);
    }

    private Outputs build(SameDiff sd, SDVariable x, List<SDVariable> params, Optional<SDVariable> mask,
                          boolean exposeAll) {
        requireParameters(params);
        long[] xShape = injectionShape != null ? injectionShape : x.getShape();
        if (xShape == null) {
            throw new ShapeMismatchException("the shape of injection '" + x.name() + "' is unknown (SameDiff only knows"
                    + " the shapes of placeholders and variables): RevDEQ needs it up to the batch dimension to shape"
                    + " the state; set it with RevDeq.withInjectionShape(...)");
        }
        long[] in = xShape.clone();
        in[0] = -1;
        long[] stateShape = cell.stateShape(in);
        stateShape[0] = -1;
        List<SDVariable> routedParams = new ArrayList<>(params.size());
        for (SDVariable p : params) {
            routedParams.add(routable(p));
        }
        SDVariable[] out = new RevDeqForwardOp(sd, routable(x), routedParams, mask.map(RevDeq::routable),
                spec(stateShape, mask.isPresent())).outputVariables();
        SDVariable z = RevDeqForwardOp.asTensor(out[0]);
        if (!exposeAll) {
            hideFromLossInference(sd, z, out[1], out[2], out[3]);
            return new Outputs(z, out[1], out[2], out[3]);
        }
        SDVariable y = RevDeqForwardOp.asTensor(out[1]);
        SDVariable steps = RevDeqForwardOp.asTensor(out[2]);
        SDVariable residual = RevDeqForwardOp.asTensor(out[3]);
        hideFromLossInference(sd, z, y, steps, residual);
        return new Outputs(z, y, steps, residual);
    }

    /**
     * Adds the reverse pass alone: the {@link RevDeqBackwardOp} loop that rebuilds the trajectory
     * from the end of a forward solve ({@code z}, {@code y}, {@code steps} from {@link #solve}, run
     * earlier, possibly in another graph) and backpropagates {@code gz} = dL/dz_N to x and θ. For
     * runtimes that keep a forward solve's outputs and differentiate later without solving again;
     * inside one graph, {@code calculateGradients} builds the same op from {@link #apply}.
     *
     * @param gz dL/dz_N, of z's shape (cast to the state type)
     * @throws ShapeMismatchException if the parameters do not match the cell
     */
    public Reverse reverse(SameDiff sd, SDVariable x, List<SDVariable> params, SDVariable z, SDVariable y,
                           SDVariable steps, SDVariable gz) {
        return reverse(sd, x, params, z, y, steps, gz, Optional.empty());
    }

    /**
     * {@link #reverse} of a solve under locked dropout: {@code mask} must be the forward solve's, or the
     * rebuilt trajectory and the gradients are wrong.
     */
    public Reverse reverse(SameDiff sd, SDVariable x, List<SDVariable> params, SDVariable z, SDVariable y,
                           SDVariable steps, SDVariable gz, SDVariable mask) {
        return reverse(sd, x, params, z, y, steps, gz, Optional.of(mask));
    }

    private Reverse reverse(SameDiff sd, SDVariable x, List<SDVariable> params, SDVariable z, SDVariable y,
                            SDVariable steps, SDVariable gz, Optional<SDVariable> mask) {
        requireParameters(params);
        SDVariable[] in = new SDVariable[params.size() + 6 + (mask.isPresent() ? 1 : 0)];
        in[0] = routable(x);
        for (int i = 0; i < params.size(); i++) {
            in[1 + i] = routable(params.get(i));
        }
        int k = 1 + params.size();
        in[k] = routable(z);
        in[k + 1] = routable(y);
        in[k + 2] = routable(steps);
        in[k + 3] = routable(gz);
        in[k + 4] = sd.zerosLike(y);
        mask.ifPresent(m -> in[k + 5] = routable(m));
        long[] stateShape = z.getShape() == null ? new long[] {-1} : z.getShape().clone();
        stateShape[0] = -1;
        SDVariable[] out = new RevDeqBackwardOp(sd, in, spec(stateShape, mask.isPresent())).outputVariables();
        List<SDVariable> gParams = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            gParams.add(RevDeqForwardOp.asTensor(out[1 + i]));
        }
        return new Reverse(RevDeqForwardOp.asTensor(out[0]), gParams, RevDeqForwardOp.asTensor(out[k]),
                RevDeqForwardOp.asTensor(out[k + 1]));
    }

    private void requireParameters(List<SDVariable> params) {
        List<ParamSpec> specs = cell.parameters();
        if (params.size() != specs.size()) {
            throw new ShapeMismatchException("cell '" + cell.type() + "' takes " + specs.size() + " parameters "
                    + specs + ", got " + params.size());
        }
        for (int i = 0; i < specs.size(); i++) {
            long[] actual = params.get(i).getShape();
            if (actual != null && !Arrays.equals(actual, specs.get(i).shape())) {
                throw new ShapeMismatchException("parameter " + i + " ('" + params.get(i).name() + "') of cell '"
                        + cell.type() + "' should be " + specs.get(i) + ", got shape " + Arrays.toString(actual));
            }
        }
    }


    /**
     * {@code v}, or for a constant a copy of it made by a native op: M2.1 cannot pass constants into
     * an {@code Invoke} op ("Value inputs and inputs combined did not fulfill all arguments"; see
     * docs/samediff-limitations.md).
     */
    private static SDVariable routable(SDVariable v) {
        return v.isConstant() ? v.mul(1.0) : v;
    }

    /**
     * Makes y_N and steps control dependencies of the op producing z. Both come out of the same op
     * execution, so this never delays anything, but SameDiff no longer sees them as unconsumed
     * outputs: when no loss is set it guesses the loss as "the one unconsumed float variable"
     * (DL4J's SameDiffLayer relies on that guess), and y_N and steps would otherwise spoil it.
     */
    private static void hideFromLossInference(SameDiff sd, SDVariable z, SDVariable... extras) {
        SameDiffOp zOp = sd.getOps().get(z.getCreator().getOwnName());
        List<String> deps = new ArrayList<>(zOp.getControlDeps() == null ? List.of() : zOp.getControlDeps());
        for (SDVariable v : extras) {
            deps.add(v.name());
            Variable var = sd.getVariables().get(v.name());
            List<String> forOps = new ArrayList<>(var.getControlDepsForOp() == null ? List.of() : var.getControlDepsForOp());
            forOps.add(zOp.getName());
            var.setControlDepsForOp(forOps);
        }
        zOp.setControlDeps(deps);
    }

    /**
     * Creates {@code cell}'s parameters as trainable variables named {@code prefix + name},
     * initialised from their {@link ParamSpec}s with a generator seeded by {@code seed}.
     */
    public static List<SDVariable> createParameters(SameDiff sd, GraphCell cell, String prefix, long seed,
            DataType type) {
        return CellParameters.create(sd, cell, prefix, seed, type);
    }

    private RevDeqSpec spec(long[] stateShape, boolean lockedDropout) {
        return new RevDeqSpec(cell, beta, maxSteps(), tol(), stateType(), computeType(), stateShape, lockedDropout);
    }

    /**
     * The forward op's outputs.
     *
     * @param z        z_N, the layer's output (state type)
     * @param y        y_N, the reversible solver's second sequence
     * @param steps    per-sample number of steps taken, shape (batch), in the state type
     * @param residual per-sample relative residual {@code ‖z_N - f(z_N)‖ / (1e-5 + ‖f(z_N)‖)}, shape (batch)
     */
    public record Outputs(SDVariable z, SDVariable y, SDVariable steps, SDVariable residual) {
    }

    /**
     * The reverse pass's outputs.
     *
     * @param gx      dL/dx, in x's type
     * @param gParams dL/dθ, in the parameters' order and types
     * @param z0      the rebuilt z_0 (state type); the forward solve started from zero, so its largest
     *                magnitude is the reconstruction drift
     * @param y0      the rebuilt y_0, likewise
     */
    public record Reverse(SDVariable gx, List<SDVariable> gParams, SDVariable z0, SDVariable y0) {
    }
}
