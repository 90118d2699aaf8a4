package org.deq4j.samediff.cell;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.config.NormConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Weight or spectral normalisation ({@link NormConfig}) of a {@link GraphCell}'s weights, as
 * torchdeq's {@code apply_norm} does it to a module: each of the cell's
 * {@link GraphCell#normalisableWeights()} W is stored re-parameterised, and the weight the cell
 * computes with is rebuilt from the stored parameters once per forward pass ({@link Bound#refresh},
 * torchdeq's {@code reset_norm}), outside the solver's iterations, so the solver sees constant
 * weights. Every other parameter is stored as it is.
 *
 * <p>Stored parameters, in the cell's order with each weight {@code W} replaced by:
 * <ul>
 *   <li>weight norm: {@code W_v} (W's shape; trainable), then {@code W_g} [1, …, 1, out] (trainable,
 *       only with a learnt scale); W = g·v/‖v‖, the norm taken per output unit (the last axis);</li>
 *   <li>spectral norm: {@code W_orig} (trainable), {@code W_g} (trainable, only with a learnt scale),
 *       then {@code W_u} [out] and {@code W_v} [rest] (the power iteration's singular-vector estimates:
 *       state, never trained); W = g·W_orig/σ with σ = uᵀ·W_orig·v for W_orig seen as an [out, rest]
 *       matrix (rest the product of the other axes), u and v fixed (no gradient flows through them,
 *       exactly as in PyTorch's {@code spectral_norm}).</li>
 * </ul>
 * Without a learnt scale, g is the constant {@link NormConfig#targetNorm()}; with clipping, the factor
 * g/‖v‖ (or g/σ) is capped at {@link NormConfig#clipValue()}.
 *
 * <p>Initialisation ({@link #initialise}) starts from the cell's own initial weights W, as torchdeq
 * does: weight norm sets v = W and g = ‖W‖ per output unit (so the initial weight is W); spectral norm
 * sets W_orig = W, g = the target norm, and u, v to normalised Gaussian vectors.
 *
 * <p>Failure modes: {@link InvalidConfigException} when a normalisation is asked of a cell without
 * normalisable weights. A weight whose every entry is zero gives an infinite factor (as in torchdeq).
 */
public final class CellNormalisation {
    /** PyTorch's {@code F.normalize} epsilon: x / max(‖x‖, eps). */
    private static final double EPS = 1e-12;

    private final GraphCell cell;
    private final NormConfig config;
    private final List<Slot> slots;
    private final List<ParamSpec> stored;
    private final Set<String> state;

    /**
     * How one cell parameter is stored: as itself ({@code weight == false}) or re-parameterised.
     *
     * @param out  output units (the last axis)
     * @param rest product of the other axes
     */
    private record Slot(ParamSpec spec, boolean weight, long out, long rest) {
        String name(String suffix) {
            return spec.name() + suffix;
        }
    }

    private CellNormalisation(GraphCell cell, NormConfig config) {
        this.cell = Objects.requireNonNull(cell, "cell");
        this.config = Objects.requireNonNull(config, "config");
        Set<String> weights = config.isNone() ? Set.of()
                : cell.normalisableWeights().stream().map(ParamSpec::name).collect(Collectors.toSet());
        if (!config.isNone() && weights.isEmpty()) {
            throw new InvalidConfigException("norm_type '" + config.type().id() + "': graph cell '" + cell.type()
                    + "' " + cell.config() + " has no weights to normalise");
        }
        List<Slot> s = new ArrayList<>();
        List<ParamSpec> p = new ArrayList<>();
        List<String> st = new ArrayList<>();
        for (ParamSpec spec : cell.parameters()) {
            long[] shape = spec.shape();
            boolean weight = weights.contains(spec.name());
            long out = shape[shape.length - 1];
            Slot slot = new Slot(spec, weight, out, Arrays.stream(shape).reduce(1, (a, b) -> a * b) / out);
            s.add(slot);
            if (!weight) {
                p.add(spec);
                continue;
            }
            long[] gShape = new long[shape.length];
            Arrays.fill(gShape, 1);
            gShape[shape.length - 1] = out;
            boolean spectral = config.type() == NormConfig.Type.SPECTRAL_NORM;
            p.add(new ParamSpec(slot.name(spectral ? "_orig" : "_v"), shape, spec.init(), spec.fanIn()));
            if (config.learnScale()) {
                p.add(new ParamSpec(slot.name("_g"), gShape, ParamSpec.Init.ONES, 1));
            }
            if (spectral) {
                p.add(new ParamSpec(slot.name("_u"), new long[] {out}, ParamSpec.Init.ZEROS, 1));
                p.add(new ParamSpec(slot.name("_v"), new long[] {slot.rest}, ParamSpec.Init.ZEROS, 1));
                st.add(slot.name("_u"));
                st.add(slot.name("_v"));
            }
        }
        this.slots = List.copyOf(s);
        this.stored = List.copyOf(p);
        this.state = Set.copyOf(st);
    }

    /**
     * The normalisation {@code config} of {@code cell}'s weights; {@link NormConfig#NONE} stores the
     * cell's parameters as they are.
     *
     * @throws InvalidConfigException if a normalisation is asked of a cell without normalisable weights
     */
    public static CellNormalisation of(GraphCell cell, NormConfig config) {
        return new CellNormalisation(cell, config);
    }

    /** The cell. */
    public GraphCell cell() {
        return cell;
    }

    /** The configuration. */
    public NormConfig config() {
        return config;
    }

    /** The stored parameters (see the class comment); the cell's own for {@link NormConfig#NONE}. */
    public List<ParamSpec> parameters() {
        return stored;
    }

    /**
     * Whether the stored parameter {@code name} is state rather than a trained parameter (spectral
     * norm's u and v): it gets a zero gradient, and an optimiser must neither update nor decay it.
     */
    public boolean isState(String name) {
        return state.contains(name);
    }

    /**
     * Writes the initial stored values (see the class comment).
     *
     * @param cellInitial the cell's initial parameter values, in {@link GraphCell#parameters()} order
     * @param rng         draws spectral norm's u and v (after whatever drew {@code cellInitial})
     * @param stored      the stored arrays by {@link #parameters()} name
     */
    public void initialise(List<INDArray> cellInitial, Random rng, Function<String, INDArray> stored) {
        for (int i = 0; i < slots.size(); i++) {
            Slot slot = slots.get(i);
            INDArray w = cellInitial.get(i);
            if (!slot.weight) {
                stored.apply(slot.spec.name()).assign(w);
                continue;
            }
            INDArray m = w.reshape('c', slot.rest, slot.out);
            if (config.type() == NormConfig.Type.WEIGHT_NORM) {
                stored.apply(slot.name("_v")).assign(w);
                if (config.learnScale()) {
                    INDArray g = stored.apply(slot.name("_g"));
                    g.assign(m.norm2(0).reshape(g.shape()));
                }
            } else {
                stored.apply(slot.name("_orig")).assign(w);
                if (config.learnScale()) {
                    stored.apply(slot.name("_g")).assign(config.targetNorm());
                }
                stored.apply(slot.name("_u")).assign(unitGaussian(slot.out, rng, w.dataType()));
                stored.apply(slot.name("_v")).assign(unitGaussian(slot.rest, rng, w.dataType()));
            }
        }
    }

    /**
     * Weight norm as a SameDiff expression, {@code g · v / ‖v‖} with the norm taken per output unit
     * (over every axis but the last): the in-graph form of {@link NormConfig#weightNorm()}, for a
     * graph that normalises a weight itself before passing it to a cell or the RevDEQ op (as
     * {@link ConvResidualCell}'s {@code weightNorm} flag does inside the cell).
     *
     * @param g    the gain, shaped [1, …, 1, out]
     * @param rank the rank of {@code v} (given, since a loop variable's shape is not known when the graph is built)
     */
    public static SDVariable weightNorm(SameDiff sd, SDVariable v, SDVariable g, int rank) {
        int[] rest = new int[rank - 1];
        for (int i = 0; i < rest.length; i++) {
            rest[i] = i;
        }
        return v.mul(g.mul(sd.math().rsqrt(v.mul(v).sum(true, rest))));
    }

    private static INDArray unitGaussian(long n, Random rng, DataType type) {
        INDArray x = Nd4j.randn(Nd4j.createUninitialized(DataType.DOUBLE, n), rng);
        return x.divi(Math.max(x.norm2Number().doubleValue(), EPS)).castTo(type);
    }

    /**
     * Binds the normalisation to stored arrays (live views, e.g. into DL4J's parameter vector) and
     * allocates its buffers, outside every workspace.
     *
     * @param stored the stored arrays by {@link #parameters()} name, all of {@code dataType}
     */
    @SuppressWarnings("try")
    public Bound bind(Function<String, INDArray> stored, DataType dataType) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return new Bound(stored, dataType);
        }
    }

    /**
     * The normalisation bound to its stored arrays: rebuilds the cell's weights from them and
     * backpropagates the cell's weight gradients to them. Not thread-safe.
     */
    public final class Bound {
        private final Function<String, INDArray> stored;
        private final List<INDArray> effective = new ArrayList<>();
        private final List<Work> work = new ArrayList<>();
        private long iterationSteps;

        /** Per normalised weight: the weight buffer and what the backward pass needs from the forward. */
        private final class Work {
            final Slot slot;
            final INDArray weight;
            final INDArray norm;
            final INDArray factor;
            final INDArray unclipped;
            final INDArray u;
            final INDArray v;
            /** [rest, out]: the chained gradient of the stored weight. */
            final INDArray scratch;
            /** [1, out]: per-unit sums in the backward pass. */
            final INDArray row;
            double sigma = Double.NaN;

            Work(Slot slot, DataType type) {
                this.slot = slot;
                this.weight = Nd4j.create(type, slot.spec.shape());
                this.scratch = Nd4j.create(type, slot.rest, slot.out);
                this.row = Nd4j.create(type, 1, slot.out);
                this.norm = Nd4j.create(type, 1, slot.out);
                this.factor = Nd4j.create(type, 1, slot.out);
                this.unclipped = Nd4j.create(type, 1, slot.out);
                this.u = Nd4j.create(type, slot.out, 1);
                this.v = Nd4j.create(type, slot.rest, 1);
            }

            INDArray matrix(String suffix) {
                return stored.apply(slot.name(suffix)).reshape('c', slot.rest, slot.out);
            }

            /** g (per output unit) or the target norm, divided by {@code denominator}, then clipped. */
            void factor(INDArray denominator) {
                if (config.learnScale()) {
                    factor.assign(stored.apply(slot.name("_g")).reshape(1, slot.out));
                } else {
                    factor.assign(config.targetNorm());
                }
                factor.divi(denominator);
                if (config.clip()) {
                    unclipped.assign(factor.lte(config.clipValue()).castTo(factor.dataType()));
                    Transforms.min(factor, config.clipValue(), false);
                } else {
                    unclipped.assign(1);
                }
            }
        }

        private Bound(Function<String, INDArray> stored, DataType dataType) {
            this.stored = stored;
            for (Slot slot : slots) {
                if (slot.weight) {
                    Work w = new Work(slot, dataType);
                    work.add(w);
                    effective.add(w.weight);
                } else {
                    effective.add(stored.apply(slot.spec.name()));
                }
            }
        }

        /**
         * The cell's parameters as of the last {@link #refresh}, in {@link GraphCell#parameters()}
         * order: the stored views for parameters that are not normalised, buffers (the same arrays
         * at every call) for the normalised weights.
         */
        public List<INDArray> effective() {
            return effective;
        }

        /**
         * Rebuilds the normalised weights from the stored parameters: torchdeq's {@code reset_norm},
         * called once per forward pass. A training pass first advances spectral norm's u and v by
         * {@link NormConfig#powerIterations()} power iterations (written back to the stored arrays);
         * an inference pass uses them as they are.
         *
         * @return {@link #effective()}
         */
        public List<INDArray> refresh(boolean training) {
            if (work.isEmpty()) {
                return effective;
            }
            if (training && config.type() == NormConfig.Type.SPECTRAL_NORM) {
                iterationSteps++;
            }
            for (Work w : work) {
                if (config.type() == NormConfig.Type.WEIGHT_NORM) {
                    INDArray v = w.matrix("_v");
                    w.norm.assign(v.norm2(0).reshape(1, w.slot.out));
                    w.factor(w.norm);
                    w.weight.reshape('c', w.slot.rest, w.slot.out).assign(v).muliRowVector(w.factor);
                } else {
                    INDArray m = w.matrix("_orig");
                    INDArray u = stored.apply(w.slot.name("_u"));
                    INDArray v = stored.apply(w.slot.name("_v"));
                    w.u.assign(u.reshape(w.slot.out, 1));
                    w.v.assign(v.reshape(w.slot.rest, 1));
                    if (training) {
                        for (int k = 0; k < config.powerIterations(); k++) {
                            normalise(m.mmuli(w.u, w.v));
                            normalise(m.transpose().mmuli(w.v, w.u));
                        }
                        u.assign(w.u.reshape(u.shape()));
                        v.assign(w.v.reshape(v.shape()));
                    }
                    w.sigma = w.v.transpose().mmul(m).mmul(w.u).getDouble(0);
                    w.norm.assign(w.sigma);
                    w.factor(w.norm);
                    w.weight.reshape('c', w.slot.rest, w.slot.out).assign(m).muliRowVector(w.factor);
                }
            }
            return effective;
        }

        private static void normalise(INDArray x) {
            x.divi(Math.max(x.norm2Number().doubleValue(), EPS));
        }

        /**
         * Backpropagates the cell's parameter gradients (dL/d{@link #effective()}, same order) into the
         * stored parameters' gradient arrays, using the weights of the last {@link #refresh}: the
         * gradient of a parameter that is not normalised is copied, that of a normalised weight is
         * chained through the normalisation, and u and v get zero.
         *
         * @param grads the stored parameters' gradient arrays by {@link #parameters()} name
         */
        public void backward(List<INDArray> cellGrads, Function<String, INDArray> grads) {
            int k = 0;
            for (int i = 0; i < slots.size(); i++) {
                Slot slot = slots.get(i);
                INDArray g = cellGrads.get(i);
                if (!slot.weight) {
                    grads.apply(slot.spec.name()).assign(g);
                    continue;
                }
                Work w = work.get(k++);
                INDArray gm = g.reshape('c', slot.rest, slot.out);
                boolean spectral = config.type() == NormConfig.Type.SPECTRAL_NORM;
                INDArray m = w.matrix(spectral ? "_orig" : "_v");
                // a_j = <dL/dW_j, M_j> over unclipped units j: the gradient of unit j's factor times its denominator
                w.scratch.assign(gm).muli(m).sum(w.row.reshape(slot.out), 0);
                INDArray active = w.row.muli(w.unclipped);
                if (spectral) {
                    // σ = vᵀ·M·u with u, v fixed: dσ/dM = v·uᵀ, and dL/dσ = -Σ_j a_j·f_j/σ
                    double dSigma = -active.mul(w.factor).sumNumber().doubleValue() / w.sigma;
                    w.scratch.assign(gm).muliRowVector(w.factor);
                    Nd4j.gemm(w.v, w.u, w.scratch, false, true, dSigma, 1.0);
                    grads.apply(slot.name("_u")).assign(0);
                    grads.apply(slot.name("_v")).assign(0);
                } else {
                    // ‖v_j‖ depends on v_j: dW_j/dv_j·G_j = f_j·(G_j - v_j·a_j/‖v_j‖²)
                    INDArray coefficient = active.div(w.norm).divi(w.norm);
                    w.scratch.assign(m).muliRowVector(coefficient).rsubi(gm).muliRowVector(w.factor);
                }
                grads.apply(slot.name(spectral ? "_orig" : "_v")).assign(w.scratch.reshape(slot.spec.shape()));
                if (config.learnScale()) {
                    INDArray dg = grads.apply(slot.name("_g"));
                    dg.assign(active.divi(w.norm).reshape(dg.shape()));
                }
            }
        }

        /**
         * The spectral-norm estimate σ = uᵀWv of the cell weight {@code name} at the last refresh;
         * empty unless {@code name} is a spectrally normalised weight.
         */
        public OptionalDouble sigma(String name) {
            return work.stream().filter(w -> w.slot.spec.name().equals(name)
                    && config.type() == NormConfig.Type.SPECTRAL_NORM).mapToDouble(w -> w.sigma).findFirst();
        }

        /** The configuration. */
        public NormConfig config() {
            return config;
        }

        /** Training refreshes that ran power iterations so far (spectral norm; zero otherwise). */
        public long iterationSteps() {
            return iterationSteps;
        }
    }

    @Override
    public String toString() {
        return "CellNormalisation(" + cell.type() + ", " + config + ")";
    }
}
