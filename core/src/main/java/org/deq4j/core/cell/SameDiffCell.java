package org.deq4j.core.cell;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.compat.QuietStdout;
import org.deq4j.core.exec.GraphRunner;
import org.deq4j.core.exec.PlannedSessions;
import org.deq4j.core.profile.PhaseTimer;
import org.deq4j.core.exec.UnsupportedGraphException;
import org.deq4j.core.state.State;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cell defined by a SameDiff graph: one placeholder per state part and per injection part, one
 * output per state part, and trainable SameDiff variables as parameters. Its vector-Jacobian
 * product comes from SameDiff's automatic differentiation, so the user writes only the forward
 * graph. This is the main way to define a cell.
 *
 * <pre>{@code
 * Cell cell = SameDiffCell.builder()
 *     .state("z", 256)                 // per-sample shape; the batch dimension is added, dynamic
 *     .injection("x", 64)
 *     .parameter("W", w).parameter("U", u).parameter("b", b)
 *     .define(g -> List.of(g.sd().math().tanh(
 *             g.z().mmul(g.param("W")).add(g.x().mmul(g.param("U"))).add(g.param("b")))))
 *     .build();
 * }</pre>
 *
 * <p>How it runs. {@link #apply} computes the graph's outputs; {@link #valueAndVjp} computes
 * SameDiff's gradient function for the loss {@code L = Σ_i sum(out_i ⊙ g_i)}, where the {@code g_i}
 * are extra placeholders fed with {@code gOut}; that single execution returns the outputs (the
 * value) together with {@code ∂L/∂z}, {@code ∂L/∂x} and {@code ∂L/∂θ}, which are exactly the VJPs.
 * Both run through {@link GraphRunner}: the graph is compiled once per input shape into a program
 * whose intermediates live in buffers reused by every later call, so a solver loop allocates no
 * native memory inside the cell and nothing waits for a garbage collection. The results handed back
 * are copies in the caller's current workspace (if any). A graph the planned executor cannot run
 * (see {@link org.deq4j.core.exec.GraphProgram}) falls back to SameDiff's own executor, with a
 * warning, which is correct but allocates for every op. {@link #releaseBuffers()} frees the
 * programs' buffers at once.
 *
 * <p>Parameters. {@link #parameters()} returns the arrays the SameDiff variables hold: the very
 * arrays passed to {@link Builder#parameter}, not copies. An optimizer that updates them in place
 * changes the cell's function immediately. Replacing an array object (rather than updating it) has
 * no effect on the graph. A parameter gradient is zero when the outputs do not depend on it.
 *
 * <p>Data types. The graph has one floating-point data type (that of the parameters, or set with
 * {@link Builder#dataType}); states and injections must arrive in it. Under a mixed
 * {@link org.deq4j.core.precision.PrecisionPolicy} the policy casts at the cell boundary, so a
 * float32 graph is used with {@code PrecisionPolicy.MIXED}.
 *
 * <p>Threads. A SameDiff graph keeps per-execution state, so calls on one instance are serialized
 * (the methods are {@code synchronized}); use one cell per thread for parallel solves.
 *
 * <p>Failure modes: {@link InvalidConfigException} from the builder or {@link #fromGraph} for a
 * missing or ill-typed definition, name or parameter; {@link ShapeMismatchException} from
 * {@code apply}/{@code valueAndVjp} when the inputs do not match the placeholders or an output is
 * not shaped like its state part.
 */
public final class SameDiffCell implements Cell {
    private static final Logger LOG = LoggerFactory.getLogger(SameDiffCell.class);
    private static final String GRAD_PREFIX = "deq4j_gOut_";
    private static final String LOSS_NAME = "deq4j_vjpLoss";

    private final SameDiff sd;
    private final DataType dataType;
    private final List<String> stateNames;
    private final List<String> injectionNames;
    private final List<String> outputNames;
    private final String[] outputArray;
    private final List<String> gradNames;
    private final List<String> paramNames;
    private final List<INDArray> params;
    private final List<String> gradientTargets;
    private boolean planned = true;
    private GraphRunner forward;
    private GraphRunner gradient;

    private SameDiffCell(SameDiff sd, List<String> stateNames, List<String> injectionNames,
                         List<String> outputNames, List<String> paramNames) {
        this.sd = sd;
        this.stateNames = List.copyOf(stateNames);
        this.injectionNames = List.copyOf(injectionNames);
        this.outputNames = List.copyOf(outputNames);
        this.outputArray = this.outputNames.toArray(new String[0]);
        if (this.stateNames.isEmpty()) {
            throw new InvalidConfigException("SameDiffCell needs at least one state placeholder");
        }
        if (this.outputNames.size() != this.stateNames.size()) {
            throw new InvalidConfigException("SameDiffCell needs one output per state part: " + this.stateNames.size()
                    + " state placeholders " + this.stateNames + " but " + this.outputNames.size() + " outputs "
                    + this.outputNames);
        }
        if (!sd.hasVariable(this.stateNames.get(0))) {
            throw new InvalidConfigException("SameDiffCell state placeholder '" + this.stateNames.get(0)
                    + "' is not a variable of the graph");
        }
        this.dataType = sd.getVariable(this.stateNames.get(0)).dataType();
        if (!dataType.isFPType()) {
            throw new InvalidConfigException("SameDiffCell needs a floating-point graph; state '"
                    + this.stateNames.get(0) + "' is " + dataType);
        }
        for (String s : this.stateNames) {
            requirePlaceholder(s, "state");
            long[] shape = sd.getVariable(s).placeholderShape();
            for (int d = 1; d < shape.length; d++) {
                if (shape[d] < 0) {
                    throw new InvalidConfigException("state placeholder '" + s + "' has shape " + Arrays.toString(shape)
                            + "; only the batch dimension 0 may be unknown (-1)");
                }
            }
        }
        for (String s : this.injectionNames) {
            requirePlaceholder(s, "injection");
        }
        for (String s : this.outputNames) {
            if (!sd.hasVariable(s)) {
                throw new InvalidConfigException("SameDiffCell output '" + s + "' is not a variable of the graph");
            }
            if (sd.getVariable(s).getVariableType() != VariableType.ARRAY) {
                throw new InvalidConfigException("SameDiffCell output '" + s + "' is a "
                        + sd.getVariable(s).getVariableType() + "; outputs must be computed by the graph");
            }
        }
        this.paramNames = List.copyOf(paramNames);
        List<INDArray> arrays = new ArrayList<>();
        for (String name : this.paramNames) {
            SDVariable v = sd.getVariable(name);
            if (v.dataType() != dataType) {
                throw new InvalidConfigException("parameter '" + name + "' has data type " + v.dataType()
                        + " but the graph's states have " + dataType + "; use one data type per graph");
            }
            arrays.add(v.getArr());
        }
        this.params = List.copyOf(arrays);
        this.gradNames = addVjpLoss();
        List<String> targets = new ArrayList<>(this.stateNames);
        targets.addAll(this.injectionNames);
        targets.addAll(this.paramNames);
        this.gradientTargets = List.copyOf(targets);
        // Built now, not at the first VJP: in M2.1 a graph executed forward before its gradient
        // function exists gives wrong VJPs later (seen with the conv cell: reversible drift 8 instead
        // of 1e-10). Placeholders get gradients only when named at creation time; outside workspaces
        // because the gradient graph's arrays are kept for every later call.
        List<String> inputs = new ArrayList<>(this.stateNames);
        inputs.addAll(this.injectionNames);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            QuietStdout.run(() -> sd.createGradFunction(inputs.toArray(new String[0])));
        }
    }

    /** A builder that creates the graph from a {@link Definition}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A cell over an existing graph (for example one imported or built elsewhere). The cell takes
     * ownership of {@code graph}: it adds the VJP placeholders and loss to it and replaces its loss
     * variables. The parameters are all VARIABLE-type SDVariables of the graph, sorted by name.
     *
     * @param graph      the graph
     * @param states     names of the state placeholders, in state-part order
     * @param injections names of the injection placeholders, in injection-part order
     * @param outputs    names of the outputs, one per state part, in the same order
     * @throws InvalidConfigException if a name is missing from the graph or names a variable of the
     *         wrong kind, if the counts disagree, if the parameters' data types differ from the states',
     *         or if gradients were already computed on the graph
     */
    public static SameDiffCell fromGraph(SameDiff graph, List<String> states, List<String> injections,
                                         List<String> outputs) {
        Objects.requireNonNull(graph, "graph");
        if (graph.hasGradientFunction()) {
            // SameDiff never rebuilds it, so it would lack the VJP loss and the placeholder gradients.
            throw new InvalidConfigException("the graph already has a gradient function; pass a graph on which"
                    + " no gradients have been computed");
        }
        List<String> params = graph.variables().stream()
                .filter(v -> v.getVariableType() == VariableType.VARIABLE)
                .map(SDVariable::name)
                .sorted()
                .toList();
        return new SameDiffCell(graph, states, injections, outputs, params);
    }

    /** The graph's data type: states, injections and parameters must have it. */
    public DataType dataType() {
        return dataType;
    }

    /** The underlying graph, for inspection. Changing it after construction is not supported. */
    public SameDiff graph() {
        return sd;
    }

    /** Names of the graph's output variables, one per state part, in state-part order. */
    public List<String> outputNames() {
        return outputNames;
    }

    /** Names of the parameters' SDVariables, in {@link #parameters()} order. */
    public List<String> parameterNames() {
        return List.copyOf(paramNames);
    }

    @Override
    public List<INDArray> parameters() {
        return params;
    }

    /** Zeros shaped like the state placeholders with the injection's batch size. */
    @Override
    public State initialState(State x, DataType type) {
        List<INDArray> parts = new ArrayList<>(stateNames.size());
        for (String s : stateNames) {
            long[] shape = sd.getVariable(s).placeholderShape().clone();
            shape[0] = x.batchSize();
            parts.add(Nd4j.zeros(type, shape));
        }
        return State.of(parts);
    }

    @Override
    public State apply(State z, State x) {
        return applyAs(z, x, dataType);
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        return valueAndVjpAs(z, x, gOut, dataType, dataType);
    }

    /** Copies the program's results straight into {@code type} (see {@link Cell#applyAs}). */
    @Override
    public synchronized State applyAs(State z, State x, DataType type) {
        long t = PhaseTimer.start();
        try {
            return evaluate(z, x, type);
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.CELL_FORWARD, t);
        }
    }

    /** Copies the program's results straight into the given types (see {@link Cell#valueAndVjpAs}). */
    @Override
    public synchronized CellVjp valueAndVjpAs(State z, State x, State gOut, DataType stateType,
                                              DataType injectionType) {
        long t = PhaseTimer.start();
        try {
            return evaluateWithVjp(z, x, gOut, stateType, injectionType);
        } finally {
            PhaseTimer.stop(PhaseTimer.Phase.CELL_VJP, t);
        }
    }

    private State evaluate(State z, State x, DataType type) {
        Map<String, INDArray> feed = feed(z, x);
        if (planned) {
            try {
                return copies(forward().run(feed, sd.getListeners(), Operation.INFERENCE), z, type);
            } catch (UnsupportedGraphException e) {
                fallBack(e);
            }
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) { // see valueAndVjp
            return outputState(sd.output(feed, outputArray), z).castTo(type);
        }
    }

    private CellVjp evaluateWithVjp(State z, State x, State gOut, DataType stateType, DataType injectionType) {
        Map<String, INDArray> feed = feed(z, x);
        z.requireSameShape(gOut, "output gradient", false);
        for (int i = 0; i < gradNames.size(); i++) {
            feed.put(gradNames.get(i), gOut.part(i));
        }
        if (planned) {
            try {
                return vjpFromProgram(gradient().run(feed, sd.getListeners(), Operation.TRAINING), z, x, stateType,
                        injectionType);
            } catch (UnsupportedGraphException e) {
                fallBack(e);
            } catch (RuntimeException e) {
                // A misshaped output fails inside the loss op with an opaque message: name the problem.
                evaluate(z, x, dataType);
                throw e;
            }
        }
        // Outside workspaces: M2.1's SameDiff keeps arrays across executions (the gradient function's
        // arrays, session state), and inside a loop workspace those would point at memory the next
        // iteration reuses; the solver loops evaluate cells in such workspaces, and the results came
        // back corrupted (NaN) there.
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            CellVjp r = valueAndVjpBySession(feed, z, x);
            return new CellVjp(r.value().castTo(stateType), r.gz().castTo(stateType), r.gx().castTo(injectionType),
                    r.gParams());
        }
    }

    /**
     * Frees the compiled programs' buffers now. The cell stays usable: the next call compiles again.
     * Call it when the cell is no longer used, or to give memory back between phases.
     */
    public synchronized void releaseBuffers() {
        if (forward != null) {
            forward.close();
        }
        if (gradient != null) {
            gradient.close();
        }
    }

    /** Bytes held by the compiled programs' buffers (intermediates, temporaries, results). */
    public synchronized long bufferBytes() {
        return (forward == null ? 0 : forward.bufferBytes()) + (gradient == null ? 0 : gradient.bufferBytes());
    }

    private GraphRunner forward() {
        if (forward == null) {
            forward = new GraphRunner(sd, outputNames);
        }
        return forward;
    }

    private GraphRunner gradient() {
        if (gradient == null) {
            List<String> outs = new ArrayList<>(outputNames);
            for (String t : gradientTargets) {
                SDVariable g = sd.getVariable(t).getGradient();
                if (g != null) {
                    outs.add(g.name());
                }
            }
            gradient = new GraphRunner(sd.getFunction("grad"), outs);
        }
        return gradient;
    }

    private void fallBack(UnsupportedGraphException e) {
        LOG.warn("SameDiffCell: the planned executor cannot run this graph ({}); using SameDiff's own executor,"
                + " which allocates for every op", e.getMessage());
        planned = false;
        releaseBuffers();
    }

    /**
     * Copies of the program's results (which the next run overwrites) in {@code type}, in the current
     * workspace: the copy is the cast.
     */
    private State copies(INDArray[] results, State z, DataType type) {
        List<INDArray> parts = new ArrayList<>(outputNames.size());
        for (int i = 0; i < outputNames.size(); i++) {
            parts.add(copy(results[i], type));
        }
        State out = State.of(parts);
        z.requireSameShape(out, "SameDiffCell output " + outputNames, true);
        return out;
    }

    private CellVjp vjpFromProgram(INDArray[] results, State z, State x, DataType stateType, DataType injectionType) {
        State value = copies(results, z, stateType);
        Map<String, INDArray> grads = new HashMap<>();
        int k = outputNames.size();
        for (String t : gradientTargets) {
            if (sd.getVariable(t).getGradient() != null) {
                DataType type = stateNames.contains(t) ? stateType : injectionNames.contains(t) ? injectionType : dataType;
                grads.put(t, copy(results[k++], type));
            }
        }
        State gz = State.of(gradients(grads, stateNames, z.parts()));
        State gx = State.of(gradients(grads, injectionNames, x.parts()));
        return new CellVjp(value, gz, gx, gradients(grads, paramNames, params));
    }

    private static INDArray copy(INDArray a, DataType type) {
        return Nd4j.createUninitialized(type, a.shape(), 'c').assign(a);
    }

    private CellVjp valueAndVjpBySession(Map<String, INDArray> feed, State z, State x) {
        OutAndGrad r;
        try {
            r = sd.calculateGradientsAndOutputs(feed, outputNames, gradientTargets);
        } catch (RuntimeException e) {
            // A misshaped output fails inside the loss op with an opaque message: name the problem.
            evaluate(z, x, dataType);
            throw e;
        }
        State value = outputState(r.getOutputs(), z);
        Map<String, INDArray> grads = r.getGradients();
        State gz = State.of(gradients(grads, stateNames, z.parts()));
        State gx = State.of(gradients(grads, injectionNames, x.parts()));
        return new CellVjp(value, gz, gx, gradients(grads, paramNames, params));
    }

    private void requirePlaceholder(String name, String role) {
        if (!sd.hasVariable(name)) {
            throw new InvalidConfigException("SameDiffCell " + role + " placeholder '" + name
                    + "' is not a variable of the graph");
        }
        SDVariable v = sd.getVariable(name);
        if (v.getVariableType() != VariableType.PLACEHOLDER) {
            throw new InvalidConfigException("SameDiffCell " + role + " '" + name + "' is a " + v.getVariableType()
                    + ", not a placeholder");
        }
        if (v.dataType() != dataType) {
            throw new InvalidConfigException("SameDiffCell " + role + " placeholder '" + name + "' has data type "
                    + v.dataType() + " but state '" + stateNames.get(0) + "' has " + dataType);
        }
        long[] shape = v.placeholderShape();
        if (shape == null || shape.length == 0) {
            throw new InvalidConfigException("SameDiffCell " + role + " placeholder '" + name
                    + "' needs a known rank with the batch in dimension 0");
        }
    }

    /** Adds the placeholders g_i and the loss Σ_i sum(out_i ⊙ g_i); returns the g_i names. */
    private List<String> addVjpLoss() {
        List<String> names = new ArrayList<>(outputNames.size());
        SDVariable loss = null;
        for (int i = 0; i < outputNames.size(); i++) {
            long[] shape = sd.getVariable(stateNames.get(i)).placeholderShape();
            SDVariable g = sd.placeHolder(unusedName(GRAD_PREFIX + i), dataType, shape);
            names.add(g.name());
            SDVariable term = sd.getVariable(outputNames.get(i)).mul(g).sum();
            loss = loss == null ? term : loss.add(term);
        }
        sd.setLossVariables(loss.rename(unusedName(LOSS_NAME)));
        return List.copyOf(names);
    }

    private String unusedName(String base) {
        String name = base;
        for (int k = 1; sd.hasVariable(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private Map<String, INDArray> feed(State z, State x) {
        Map<String, INDArray> feed = new HashMap<>();
        bind(feed, stateNames, z, "state");
        bind(feed, injectionNames, x, "injection");
        if (z.batchSize() != x.batchSize()) {
            throw new ShapeMismatchException("state has batch size " + z.batchSize() + " but the injection has "
                    + x.batchSize());
        }
        return feed;
    }

    private void bind(Map<String, INDArray> feed, List<String> names, State s, String role) {
        if (s.size() != names.size()) {
            throw new ShapeMismatchException("SameDiffCell expects " + names.size() + " " + role + " part(s) "
                    + names + " but got " + s.size());
        }
        if (s.dataType() != dataType) {
            throw new ShapeMismatchException("SameDiffCell graph is " + dataType + " but the " + role + " is "
                    + s.dataType() + "; choose a PrecisionPolicy whose compute type is " + dataType);
        }
        for (int i = 0; i < names.size(); i++) {
            long[] expected = sd.getVariable(names.get(i)).placeholderShape();
            INDArray a = s.part(i);
            if (!Shape.shapeMatchesPlaceholder(expected, a.shape())) {
                throw new ShapeMismatchException(role + " part " + i + " ('" + names.get(i) + "') has shape "
                        + Arrays.toString(a.shape()) + " but the placeholder has " + Arrays.toString(expected));
            }
            feed.put(names.get(i), a);
        }
    }

    private State outputState(Map<String, INDArray> results, State z) {
        List<INDArray> parts = new ArrayList<>(outputNames.size());
        for (String o : outputNames) {
            parts.add(results.get(o));
        }
        State out = State.of(parts);
        z.requireSameShape(out, "SameDiffCell output " + outputNames, false);
        return out;
    }

    /** The gradients of the named variables; zeros shaped like {@code likes} where the loss does not reach. */
    private static List<INDArray> gradients(Map<String, INDArray> grads, List<String> names, List<INDArray> likes) {
        List<INDArray> out = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            INDArray g = grads.get(names.get(i));
            out.add(g != null ? g : Nd4j.zeros(likes.get(i).dataType(), likes.get(i).shape()));
        }
        return out;
    }

    /** Builds the cell's outputs from its inputs; called once, by {@link Builder#build()}. */
    @FunctionalInterface
    public interface Definition {
        /**
         * @param g the graph and its inputs: state and injection placeholders, parameter variables
         * @return the outputs, one per state part in {@link Builder#state} order, each shaped like its part
         */
        List<SDVariable> define(GraphInputs g);
    }

    /**
     * What a {@link Definition} builds on: the graph, the placeholders of the state parts {@code z}
     * and injection parts {@code x} (batch dimension -1), and the parameter variables by name.
     */
    public static final class GraphInputs {
        private final SameDiff sd;
        private final List<SDVariable> z;
        private final List<SDVariable> x;
        private final Map<String, SDVariable> params;

        private GraphInputs(SameDiff sd, List<SDVariable> z, List<SDVariable> x, Map<String, SDVariable> params) {
            this.sd = sd;
            this.z = List.copyOf(z);
            this.x = List.copyOf(x);
            this.params = params;
        }

        /** The graph to add operations to. */
        public SameDiff sd() {
            return sd;
        }

        /** The state placeholder of a single-part state. */
        public SDVariable z() {
            return only(z, "state");
        }

        /** The placeholder of state part {@code i}. */
        public SDVariable z(int i) {
            return part(z, i, "state");
        }

        /** The injection placeholder of a single-part injection. */
        public SDVariable x() {
            return only(x, "injection");
        }

        /** The placeholder of injection part {@code i}. */
        public SDVariable x(int i) {
            return part(x, i, "injection");
        }

        /** The parameter variable declared with {@link Builder#parameter} under {@code name}. */
        public SDVariable param(String name) {
            SDVariable v = params.get(name);
            if (v == null) {
                throw new InvalidConfigException("no parameter '" + name + "'; declared: " + params.keySet());
            }
            return v;
        }

        private static SDVariable only(List<SDVariable> vs, String role) {
            if (vs.size() != 1) {
                throw new InvalidConfigException("the " + role + " has " + vs.size()
                        + " parts; use the indexed accessor");
            }
            return vs.get(0);
        }

        private static SDVariable part(List<SDVariable> vs, int i, String role) {
            if (i < 0 || i >= vs.size()) {
                throw new InvalidConfigException(role + " part " + i + " does not exist; there are " + vs.size());
            }
            return vs.get(i);
        }
    }

    /**
     * Builder of a {@link SameDiffCell}. Declare the state parts, injection parts and parameters,
     * then the {@link Definition}. Shapes given here are per sample: the batch dimension is
     * prepended as -1, so one cell serves every batch size.
     */
    public static final class Builder {
        private final Map<String, long[]> states = new LinkedHashMap<>();
        private final Map<String, long[]> injections = new LinkedHashMap<>();
        private final Map<String, INDArray> params = new LinkedHashMap<>();
        private DataType dataType;
        private Definition definition;

        private Builder() {
        }

        /** Adds a state part (in order) with the given per-sample shape. */
        public Builder state(String name, long... sampleShape) {
            declare(states, name, sampleShape, "state");
            return this;
        }

        /** Adds an injection part (in order) with the given per-sample shape. */
        public Builder injection(String name, long... sampleShape) {
            declare(injections, name, sampleShape, "injection");
            return this;
        }

        /**
         * Adds a trainable parameter initialised from {@code value}. The graph uses this very array
         * (no copy), so in-place updates of {@code value} change the cell.
         */
        public Builder parameter(String name, INDArray value) {
            Objects.requireNonNull(value, "parameter value");
            requireNewName(name);
            if (params.values().stream().anyMatch(v -> v == value)) {
                throw new InvalidConfigException("parameter '" + name + "' is the same array as another parameter");
            }
            params.put(name, value);
            return this;
        }

        /** The graph's floating-point data type; defaults to the parameters' data type. */
        public Builder dataType(DataType dataType) {
            this.dataType = Objects.requireNonNull(dataType, "dataType");
            return this;
        }

        /** The function {@code f}: returns one output per state part. Required. */
        public Builder define(Definition definition) {
            this.definition = definition;
            return this;
        }

        /**
         * @throws InvalidConfigException if the definition, the states or the data type are missing,
         *         if data types disagree, or if the definition returns the wrong number of outputs
         */
        public SameDiffCell build() {
            if (definition == null) {
                throw new InvalidConfigException("SameDiffCell needs define(...)");
            }
            if (states.isEmpty()) {
                throw new InvalidConfigException("SameDiffCell needs at least one state(...)");
            }
            DataType type = resolveType();
            // The graph's constants live as long as the cell: never in a workspace that is open now
            // (a solver loop's or a layer's pass), whose memory the next pass reuses.
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return buildGraph(type);
            }
        }

        private SameDiffCell buildGraph(DataType type) {
            SameDiff sd = SameDiff.create();
            // Before anything touches the graph: adding variables already creates its session.
            // (SameDiff.output on this graph, the cell's fallback, then uses the planned executor or a safe interpreter)
            PlannedSessions.register(sd);
            // The default holder copies views (DeviceLocalNDArray); this one keeps the caller's arrays,
            // and calls are serialized anyway.
            sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
            List<SDVariable> z = placeholders(sd, states, type);
            List<SDVariable> x = placeholders(sd, injections, type);
            Map<String, SDVariable> vars = new LinkedHashMap<>();
            params.forEach((name, value) -> vars.put(name, sd.var(name, value)));
            List<SDVariable> outs = definition.define(new GraphInputs(sd, z, x, vars));
            if (outs == null || outs.size() != states.size()) {
                throw new InvalidConfigException("SameDiffCell definition returned " + (outs == null ? "null" : outs.size()
                        + " outputs") + " for " + states.size() + " state part(s) " + states.keySet());
            }
            List<String> outNames = new ArrayList<>(outs.size());
            for (SDVariable o : outs) {
                // A placeholder or parameter returned as is would alias the caller's arrays.
                outNames.add((o.getVariableType() == VariableType.ARRAY ? o : sd.identity(o)).name());
            }
            return new SameDiffCell(sd, List.copyOf(states.keySet()), List.copyOf(injections.keySet()), outNames,
                    List.copyOf(params.keySet()));
        }

        private DataType resolveType() {
            DataType type = dataType;
            for (Map.Entry<String, INDArray> p : params.entrySet()) {
                if (type == null) {
                    type = p.getValue().dataType();
                }
                if (p.getValue().dataType() != type) {
                    throw new InvalidConfigException("parameter '" + p.getKey() + "' has data type "
                            + p.getValue().dataType() + " but the graph is " + type
                            + "; cast it before passing it (a cast copy would not be live)");
                }
            }
            if (type == null) {
                throw new InvalidConfigException("SameDiffCell without parameters needs dataType(...)");
            }
            if (!type.isFPType()) {
                throw new InvalidConfigException("SameDiffCell needs a floating-point data type, got " + type);
            }
            return type;
        }

        private void declare(Map<String, long[]> into, String name, long[] sampleShape, String role) {
            requireNewName(name);
            for (long d : sampleShape) {
                if (d <= 0) {
                    throw new InvalidConfigException(role + " '" + name + "' has per-sample shape "
                            + Arrays.toString(sampleShape) + "; dimensions must be positive");
                }
            }
            into.put(name, sampleShape.clone());
        }

        private void requireNewName(String name) {
            Objects.requireNonNull(name, "name");
            if (states.containsKey(name) || injections.containsKey(name) || params.containsKey(name)) {
                throw new InvalidConfigException("name '" + name + "' is declared twice");
            }
        }

        private static List<SDVariable> placeholders(SameDiff sd, Map<String, long[]> shapes, DataType type) {
            List<SDVariable> out = new ArrayList<>(shapes.size());
            shapes.forEach((name, sample) -> {
                long[] shape = new long[sample.length + 1];
                shape[0] = -1;
                System.arraycopy(sample, 0, shape, 1, sample.length);
                out.add(sd.placeHolder(name, type, shape));
            });
            return out;
        }
    }
}
