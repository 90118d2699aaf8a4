package org.deq4j.core.exec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.RandomOp;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.BaseCompatOp;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.Enter;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.Exit;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.Merge;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.NextIteration;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.Switch;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;
import org.nd4j.linalg.api.ops.impl.shape.tensorops.BaseTensorOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Assign;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.GradientBackwardsMarker;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds a {@link GraphProgram}: finds the operations the requested outputs need, orders them (a
 * while loop becomes one {@link LoopStep} with its condition and body blocks), gives every variable a
 * slot (aliases share their source's slot), traces one execution with fresh arrays to learn every
 * intermediate's shape, then plans buffers by liveness and binds the op contexts to them.
 *
 * <p>Liveness is measured in schedule positions. A value defined before a loop and read inside it
 * lives until the loop's end (every iteration reads it); a loop variable's buffer lives from the loop's
 * start to the last read of its exit value; requested outputs live for ever. At each position the
 * step's outputs are allocated before the buffers whose last read it is are released, so an op never
 * writes into a buffer it reads.
 */
final class ProgramCompiler implements SlotPlan {
    /** Arrays with fewer elements get their own buffer: pooling them saves nothing. */
    private static final long POOL_MIN_LENGTH = 1024;
    private static final String OUTER = "";

    private final SameDiff sd;
    private final List<String> outputs;
    private final Map<String, INDArray> placeholders;
    private final Map<String, Variable> variables;
    private final Map<String, SameDiffOp> ops;

    private final Map<String, Integer> slotOf = new HashMap<>();
    private final List<INDArray> fixed = new ArrayList<>();
    private final List<Integer> defPos = new ArrayList<>();
    private final List<Integer> lastPos = new ArrayList<>();
    private final Map<String, Integer> placeholderSlots = new LinkedHashMap<>();
    private final Map<String, Integer> variableSlots = new LinkedHashMap<>();
    private final Set<Integer> planned = new LinkedHashSet<>();
    private final List<INDArray> owned = new ArrayList<>();
    private final Set<Integer> constants = new HashSet<>();
    private final Set<Integer> statics = new LinkedHashSet<>();
    private final Set<Integer> loopState = new HashSet<>();
    private final Map<Integer, Integer> viewSource = new HashMap<>();
    private final Map<String, Deque<INDArray>> tracePool = new HashMap<>();
    private final List<INDArray> traceArrays = new ArrayList<>();
    private final Map<Integer, Shaped> tracedShapes = new HashMap<>();
    private final Scratch scratch = new Scratch();
    private final Listeners listeners;
    private final Map<String, String> frameOfVar = new HashMap<>();
    private int position;

    ProgramCompiler(SameDiff sd, List<String> outputs, Map<String, INDArray> placeholders) {
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("no outputs requested");
        }
        this.sd = sd;
        this.outputs = List.copyOf(outputs);
        this.placeholders = placeholders;
        this.variables = sd.getVariables();
        this.ops = sd.getOps();
        this.listeners = new Listeners(sd);
    }

    GraphProgram compile() {
        Set<String> needed = neededOps();
        for (String name : needed) {
            requireSupported(ops.get(name).getOp());
        }
        Map<String, List<String>> framesOps = new HashMap<>();
        for (String name : needed) {
            SameDiffOp o = ops.get(name);
            String f = o.getOp() instanceof Exit ? frameOf(o.getInputsToOp().get(0)) : frameOfOp(o);
            if (!OUTER.equals(f)) {
                framesOps.computeIfAbsent(f, k -> new ArrayList<>()).add(name);
            }
        }

        List<Step> steps = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (String out : outputs) {
            if (!variables.containsKey(out)) {
                throw new IllegalArgumentException("no variable '" + out + "' in the graph");
            }
            visitVar(out, steps, done, framesOps);
        }
        int[] outputSlots = new int[outputs.size()];
        for (int i = 0; i < outputSlots.length; i++) {
            outputSlots[i] = slot(outputs.get(i));
            lastPos.set(outputSlots[i], Integer.MAX_VALUE);
        }
        Block main = new Block(steps);

        INDArray[] slots = new INDArray[fixed.size()];
        for (int s = 0; s < slots.length; s++) {
            slots[s] = fixed.get(s);
        }
        placeholderSlots.forEach((n, s) -> slots[s] = placeholders.get(n));
        variableSlots.forEach((n, s) -> slots[s] = sd.getArrForVarName(n));
        GraphProgram.Signature signature = GraphProgram.Signature.of(placeholders, placeholderSlots.keySet());
        try {
            main.trace(slots);
        } catch (RuntimeException e) {
            closeTraced(slots);
            main.close();
            scratch.close();
            throw e;
        }
        INDArray[] plannedSlots = slots.clone();
        for (int st : statics) {
            // out of the trace's pooled memory, which is freed below
            plannedSlots[st] = slots[st].dup();
            owned.add(plannedSlots[st]);
        }
        // the traced arrays go before the planned buffers come: compilation's peak is the larger of the
        // two, not their sum
        Map<Integer, Shaped> shapes = new HashMap<>(tracedShapes);
        for (int s : planned) {
            if (slots[s] != null) {
                shapes.put(s, new Shaped(slots[s].dataType(), slots[s].shape(), slots[s].isEmpty()));
            }
        }
        shapes.keySet().retainAll(planned);
        closeTraced(slots);
        List<INDArray> buffers = plan(shapes, plannedSlots);
        main.bind(plannedSlots);
        return new GraphProgram(sd, signature, outputs, outputSlots, placeholderSlots, variableSlots, main,
                plannedSlots, buffers, scratch, listeners);
    }

    /** The ops the outputs depend on (through data inputs; a loop's merges pull in its body). */
    private Set<String> neededOps() {
        Set<String> needed = new LinkedHashSet<>();
        Deque<String> vars = new ArrayDeque<>(outputs);
        Set<String> seenVars = new HashSet<>();
        while (!vars.isEmpty()) {
            String v = vars.pop();
            if (!seenVars.add(v)) {
                continue;
            }
            Variable var = variables.get(v);
            if (var == null) {
                throw new IllegalArgumentException("no variable '" + v + "' in the graph");
            }
            String op = var.getOutputOfOp();
            if (op != null && needed.add(op)) {
                List<String> in = ops.get(op).getInputsToOp();
                if (in != null) {
                    vars.addAll(in);
                }
            }
        }
        return needed;
    }

    private static void requireSupported(DifferentialFunction df) {
        if (df instanceof BaseTensorOp || df instanceof ExternalErrorsFunction || df instanceof Assign
                || df instanceof RandomOp || df instanceof org.nd4j.linalg.api.ops.custom.Invoke) {
            throw new UnsupportedGraphException("op " + df.getOwnName() + " (" + df.opName() + ", "
                    + df.getClass().getSimpleName() + ") is not supported by the planned executor");
        }
        if (df instanceof BaseCompatOp && !(df instanceof Enter || df instanceof Exit || df instanceof Merge
                || df instanceof Switch || df instanceof NextIteration)) {
            throw new UnsupportedGraphException("control-flow op " + df.getOwnName() + " (" + df.opName()
                    + ") is not supported by the planned executor");
        }
        if (!(df instanceof CustomOp) && !(df instanceof Op) && !(df instanceof GradientBackwardsMarker)) {
            throw new UnsupportedGraphException("op " + df.getOwnName() + " (" + df.getClass().getName()
                    + ") is neither a custom nor a legacy op");
        }
    }

    // ---- frames ----

    private String frameOfOp(SameDiffOp o) {
        List<String> outs = o.getOutputsOfOp();
        return outs == null || outs.isEmpty() ? OUTER : frameOf(outs.get(0));
    }

    /** The loop frame a variable lives in ("" outside loops). */
    private String frameOf(String var) {
        String known = frameOfVar.get(var);
        if (known != null) {
            return known;
        }
        String frame = computeFrame(var);
        frameOfVar.put(var, frame);
        return frame;
    }

    private String computeFrame(String var) {
        String opName = variables.get(var).getOutputOfOp();
        if (opName == null) {
            return OUTER;
        }
        SameDiffOp o = ops.get(opName);
        DifferentialFunction df = o.getOp();
        List<String> in = o.getInputsToOp() == null ? List.of() : o.getInputsToOp();
        if (df instanceof Enter e) {
            if (!OUTER.equals(frameOf(in.get(0)))) {
                throw new UnsupportedGraphException("nested while loops are not supported (frame " + e.getFrameName()
                        + " inside " + frameOf(in.get(0)) + ")");
            }
            return e.getFrameName();
        }
        if (df instanceof Exit) {
            return OUTER;
        }
        if (df instanceof Merge) {
            return frameOf(in.get(0));
        }
        String frame = OUTER;
        for (String i : in) {
            String f = frameOf(i);
            if (!OUTER.equals(f)) {
                if (!OUTER.equals(frame) && !frame.equals(f)) {
                    throw new UnsupportedGraphException("op " + opName + " reads two loop frames: " + frame + ", " + f);
                }
                frame = f;
            }
        }
        return frame;
    }

    // ---- ordering and step construction ----

    private void visitVar(String var, List<Step> steps, Set<String> done, Map<String, List<String>> framesOps) {
        String opName = variables.get(var).getOutputOfOp();
        if (opName == null) {
            slot(var);
            return;
        }
        SameDiffOp o = ops.get(opName);
        if (o.getOp() instanceof Exit) {
            String frame = frameOf(o.getInputsToOp().get(0));
            if (done.add("frame:" + frame)) {
                buildLoop(frame, framesOps.get(frame), steps, done, framesOps);
            }
            return;
        }
        if (!OUTER.equals(frameOfOp(o))) {
            throw new UnsupportedGraphException("variable " + var + " of loop frame " + frameOfOp(o)
                    + " is read outside the loop other than through an exit");
        }
        if (!done.add(opName)) {
            return;
        }
        for (String in : argNames(o)) {
            visitVar(in, steps, done, framesOps);
        }
        buildOp(o, steps);
    }

    private static List<String> argNames(SameDiffOp o) {
        String[] names = o.getOp().argNames();
        return names == null ? List.of() : Arrays.asList(names);
    }

    private void buildOp(SameDiffOp o, List<Step> steps) {
        DifferentialFunction df = o.getOp();
        List<String> outs = o.getOutputsOfOp();
        List<String> args = argNames(o);
        if (df instanceof Identity) {
            alias(outs.get(0), slot(args.get(0)));
            return;
        }
        if (df instanceof GradientBackwardsMarker) {
            // SameDiff's own executor produces a float scalar 1 here.
            INDArray one = Nd4j.scalar(DataType.FLOAT, 1.0);
            owned.add(one);
            int s = newSlot(one);
            constants.add(s);
            slotOf.put(outs.get(0), s);
            return;
        }
        int pos = position++;
        int[] in;
        int scalarSlot = -1;
        if (df instanceof CustomOp) {
            in = new int[args.size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = use(slot(args.get(i)), pos);
            }
        } else {
            Op op = (Op) df;
            if (args.size() == 2 && op instanceof ReduceOp) {
                throw new UnsupportedGraphException("legacy reduction " + df.getOwnName() + " with its axes as an"
                        + " input array is not supported");
            }
            if (args.size() > 2) {
                throw new UnsupportedGraphException("legacy op " + df.getOwnName() + " has " + args.size() + " inputs");
            }
            in = new int[args.size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = use(slot(args.get(i)), pos);
            }
            if (args.size() == 2 && op instanceof ScalarOp) {
                scalarSlot = in[1];
            }
        }
        int[] out = new int[outs.size()];
        DataType[] types = new DataType[outs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = define(outs.get(i), pos);
            types[i] = variables.get(outs.get(i)).getVariable().dataType();
        }
        steps.add(new OpStep(o, pos, in, out, types, scalarSlot, scratch, listeners, this));
    }

    private void buildLoop(String frame, List<String> members, List<Step> steps, Set<String> done,
                           Map<String, List<String>> framesOps) {
        List<SameDiffOp> merges = new ArrayList<>();
        Map<String, SameDiffOp> switchByMerge = new HashMap<>();
        String predicate = null;
        for (String name : members) {
            SameDiffOp o = ops.get(name);
            if (o.getOp() instanceof Merge) {
                merges.add(o);
            } else if (o.getOp() instanceof Switch) {
                List<String> in = argNames(o);
                switchByMerge.put(in.get(0), o);
                if (predicate != null && !predicate.equals(in.get(1))) {
                    throw new UnsupportedGraphException("loop " + frame + " has two conditions");
                }
                predicate = in.get(1);
            }
        }
        if (merges.isEmpty() || predicate == null) {
            throw new UnsupportedGraphException("loop " + frame + " is not a SameDiff while loop (merges "
                    + merges.size() + ", condition " + predicate + ")");
        }
        // the loop's inputs from outside: every Enter's source, and outer values the condition reads
        // directly (SameDiff builds the condition before it starts wrapping outer values in Enters)
        for (String name : members) {
            SameDiffOp o = ops.get(name);
            if (o.getOp() instanceof Enter) {
                visitVar(argNames(o).get(0), steps, done, framesOps);
                alias(o.getOutputsOfOp().get(0), slot(argNames(o).get(0)));
            } else if (!(o.getOp() instanceof BaseCompatOp)) {
                for (String in : argNames(o)) {
                    if (OUTER.equals(frameOf(in))) {
                        visitVar(in, steps, done, framesOps);
                    }
                }
            }
        }
        int start = position++;
        int n = merges.size();
        int[] initial = new int[n];
        int[] state = new int[n];
        String[] nextVars = new String[n];
        for (int i = 0; i < n; i++) {
            SameDiffOp m = merges.get(i);
            List<String> in = argNames(m);
            String mergeOut = m.getOutputsOfOp().get(0);
            SameDiffOp next = ops.get(variables.get(in.get(1)).getOutputOfOp());
            if (!(next.getOp() instanceof NextIteration)) {
                throw new UnsupportedGraphException("loop " + frame + ": merge " + m.getName() + " is not fed by a"
                        + " NextIteration");
            }
            nextVars[i] = argNames(next).get(0);
            initial[i] = use(slot(in.get(0)), start);
            SameDiffOp sw = switchByMerge.get(mergeOut);
            boolean passThrough = sw != null && isTrueBranchOf(nextVars[i], sw);
            state[i] = passThrough ? initial[i] : define(mergeOut, start);
            loopState.add(state[i]);
            if (passThrough) {
                alias(mergeOut, initial[i]);
            }
            if (sw != null) {
                for (String o : sw.getOutputsOfOp()) {
                    alias(o, state[i]);
                }
            }
        }
        for (String name : members) {
            SameDiffOp o = ops.get(name);
            if (o.getOp() instanceof Exit) {
                alias(o.getOutputsOfOp().get(0), slot(argNames(o).get(0)));
            }
        }
        Set<String> boundary = new HashSet<>();
        for (String name : members) {
            DifferentialFunction df = ops.get(name).getOp();
            if (df instanceof Enter || df instanceof Merge || df instanceof Switch) {
                boundary.addAll(ops.get(name).getOutputsOfOp());
            }
        }
        Set<String> doneInFrame = new HashSet<>();
        List<Step> condSteps = new ArrayList<>();
        visitInFrame(predicate, boundary, doneInFrame, condSteps);
        int pred = slot(predicate);
        List<Step> bodySteps = new ArrayList<>();
        for (String v : nextVars) {
            visitInFrame(v, boundary, doneInFrame, bodySteps);
        }
        int end = position++;
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = use(slot(nextVars[i]), end);
            use(state[i], end);
        }
        use(pred, end);
        // a variable whose next value is another's current value (b' = a, a swap) reads that value
        // from a copy taken before any variable is overwritten
        int[] saved = new int[n];
        for (int i = 0; i < n; i++) {
            saved[i] = -1;
            for (int j = 0; j < n; j++) {
                if (j != i && next[i] == state[j] && next[j] != state[j]) {
                    saved[i] = temporary(end);
                    break;
                }
            }
        }
        // values from before the loop are read by every iteration
        for (int s = 0; s < defPos.size(); s++) {
            if (lastPos.get(s) >= start && lastPos.get(s) <= end && defPos.get(s) < start) {
                lastPos.set(s, Math.max(lastPos.get(s), end));
            }
        }
        steps.add(new LoopStep(frame, end, initial, state, next, saved, new Block(condSteps), pred, new Block(bodySteps),
                this));
    }

    /** Whether {@code var} is, through identities, the true output of switch {@code sw}. */
    private boolean isTrueBranchOf(String var, SameDiffOp sw) {
        String v = var;
        while (true) {
            String opName = variables.get(v).getOutputOfOp();
            if (opName == null) {
                return false;
            }
            SameDiffOp o = ops.get(opName);
            if (o == sw) {
                return o.getOutputsOfOp().indexOf(v) == 1;
            }
            if (!(o.getOp() instanceof Identity)) {
                return false;
            }
            v = argNames(o).get(0);
        }
    }

    private void visitInFrame(String var, Set<String> boundary, Set<String> done, List<Step> steps) {
        if (boundary.contains(var)) {
            return;
        }
        String opName = variables.get(var).getOutputOfOp();
        if (opName == null || OUTER.equals(frameOf(var))) {
            slot(var);
            return;
        }
        if (!done.add(opName)) {
            return;
        }
        SameDiffOp o = ops.get(opName);
        if (o.getOp() instanceof BaseCompatOp) {
            throw new UnsupportedGraphException("loop body reads control-flow op " + opName + " ("
                    + o.getOp().opName() + ") other than through its switches");
        }
        for (String in : argNames(o)) {
            visitInFrame(in, boundary, done, steps);
        }
        buildOp(o, steps);
    }

    // ---- slots and liveness ----

    private int newSlot(INDArray fixedArray) {
        fixed.add(fixedArray);
        defPos.add(-1);
        lastPos.add(-1);
        return fixed.size() - 1;
    }

    /** The slot of an existing value: placeholders, parameters and constants get theirs on first use. */
    private int slot(String var) {
        Integer s = slotOf.get(var);
        if (s != null) {
            return s;
        }
        SDVariable v = variables.get(var).getVariable();
        VariableType t = v.getVariableType();
        int slot;
        switch (t) {
            case PLACEHOLDER -> {
                if (!placeholders.containsKey(var)) {
                    throw new IllegalArgumentException("no array for placeholder '" + var + "'");
                }
                slot = newSlot(null);
                placeholderSlots.put(var, slot);
            }
            case VARIABLE -> {
                slot = newSlot(null);
                variableSlots.put(var, slot);
            }
            case CONSTANT -> {
                slot = newSlot(v.getArr());
                constants.add(slot);
            }
            default -> throw new IllegalStateException("variable '" + var + "' is read before the op computing it"
                    + " was scheduled");
        }
        slotOf.put(var, slot);
        return slot;
    }

    private void alias(String var, int slot) {
        slotOf.put(var, slot);
    }

    private int define(String var, int pos) {
        int s = temporary(pos);
        slotOf.put(var, s);
        return s;
    }

    /** A new planned slot defined at {@code pos}, live until its last {@link #use} (none: only there). */
    private int temporary(int pos) {
        int s = newSlot(null);
        defPos.set(s, pos);
        lastPos.set(s, pos);
        planned.add(s);
        return s;
    }

    private int use(int slot, int pos) {
        if (lastPos.get(slot) < pos && lastPos.get(slot) != Integer.MAX_VALUE) {
            lastPos.set(slot, pos);
        }
        return slot;
    }

    // ---- decisions made while tracing (SlotPlan) ----

    @Override
    public boolean isConstant(int slot) {
        return constants.contains(slot) || statics.contains(slot);
    }

    @Override
    public boolean isPlanned(int slot) {
        return (planned.contains(slot) && !loopState.contains(slot)) || viewSource.containsKey(slot);
    }

    @Override
    public void markStatic(int slot) {
        planned.remove(slot);
        statics.add(slot);
    }

    @Override
    public void markView(int slot, int source) {
        planned.remove(slot);
        viewSource.put(slot, source);
        // every slot the view reaches must outlive it from now on, while tracing too
        for (Integer s = source; s != null; s = viewSource.get(s)) {
            lastPos.set(s, Math.max(lastPos.get(s), lastPos.get(slot)));
        }
    }

    @Override
    public INDArray allocate(DataType type, long[] shape) {
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        Deque<INDArray> free = tracePool.get(type + ":" + length);
        INDArray base;
        if (free == null || free.isEmpty()) {
            base = Nd4j.createUninitializedDetached(type, length);
            traceArrays.add(base);
        } else {
            base = free.pop();
        }
        return shape.length == 1 ? base : view(base, shape);
    }

    @Override
    public void traced(int pos, INDArray[] slots) {
        for (int s : planned) {
            if (lastPos.get(s) == pos && slots[s] != null && !loopState.contains(s)) {
                INDArray a = slots[s];
                tracedShapes.put(s, new Shaped(a.dataType(), a.shape(), a.isEmpty()));
                // the pooled 1-D base, never the array itself: ND4J does not count a full-length
                // reshape as a view, and handing a [] to a later request for [1] (or [b, 1] for [b])
                // gave ops outputs of the wrong rank (seen with a batch of one)
                INDArray base = traceBase(a);
                if (base != null) {
                    tracePool.computeIfAbsent(base.dataType() + ":" + base.length(), k -> new ArrayDeque<>()).push(base);
                }
                slots[s] = null;
            }
        }
    }

    /** The trace pool's base array behind {@code view}, or null if it has none. */
    private INDArray traceBase(INDArray view) {
        for (INDArray b : traceArrays) {
            if (b.data().address() == view.data().address() && b.length() == view.length()) {
                return b;
            }
        }
        return null;
    }

    // ---- buffer plan ----

    /** What the plan needs of a traced array. */
    private record Shaped(DataType type, long[] shape, boolean empty) {
        long length() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * Gives every planned slot an array over a pooled buffer: slots are visited in schedule order,
     * take a free buffer of their type and length (or a new one) when defined and return it after
     * their last read.
     */
    private List<INDArray> plan(Map<Integer, Shaped> traced, INDArray[] out) {
        // a view keeps its source's buffer alive: descending order carries chains of views to their root
        List<Integer> views = new ArrayList<>(viewSource.keySet());
        views.sort(Collections.reverseOrder());
        for (int v : views) {
            int src = viewSource.get(v);
            lastPos.set(src, Math.max(lastPos.get(src), lastPos.get(v)));
        }
        Map<Integer, List<Integer>> definedAt = new HashMap<>();
        Map<Integer, List<Integer>> freedAt = new HashMap<>();
        for (int s : planned) {
            if (!traced.containsKey(s)) {
                continue; // an untraced loop body
            }
            definedAt.computeIfAbsent(defPos.get(s), k -> new ArrayList<>()).add(s);
            if (lastPos.get(s) != Integer.MAX_VALUE) {
                freedAt.computeIfAbsent(lastPos.get(s), k -> new ArrayList<>()).add(s);
            }
        }
        Map<String, Deque<INDArray>> pool = new HashMap<>();
        Map<Integer, INDArray> baseOf = new HashMap<>();
        List<INDArray> buffers = new ArrayList<>(owned);
        for (int pos = 0; pos < position; pos++) {
            for (int s : definedAt.getOrDefault(pos, List.of())) {
                Shaped t = traced.get(s);
                long length = t.length();
                if (t.empty() || t.shape().length == 0 || length < POOL_MIN_LENGTH) {
                    INDArray own = t.empty() ? Nd4j.create(t.type(), t.shape())
                            : Nd4j.createUninitializedDetached(t.type(), t.shape());
                    buffers.add(own);
                    out[s] = own;
                    continue;
                }
                String key = t.type() + ":" + length;
                Deque<INDArray> free = pool.computeIfAbsent(key, k -> new ArrayDeque<>());
                INDArray base = free.isEmpty() ? null : free.pop();
                if (base == null) {
                    base = Nd4j.createUninitializedDetached(t.type(), length);
                    buffers.add(base);
                }
                baseOf.put(s, base);
                out[s] = view(base, t.shape());
            }
            for (int s : freedAt.getOrDefault(pos, List.of())) {
                INDArray base = baseOf.remove(s);
                if (base != null) {
                    pool.get(base.dataType() + ":" + base.length()).push(base);
                }
            }
        }
        return buffers;
    }

    private static INDArray view(INDArray base, long[] shape) {
        if (shape.length == 1) {
            return base;
        }
        INDArray v = base.reshape('c', shape);
        if (v.data().address() != base.data().address()) {
            throw new IllegalStateException("reshaping a pooled buffer copied it");
        }
        return v;
    }

    /** Frees the trace's arrays (its pooled bases and any array of its own a planned slot still holds). */
    private void closeTraced(INDArray[] traced) {
        Set<INDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (INDArray b : traceArrays) {
            if (seen.add(b) && b.closeable()) {
                b.close();
            }
        }
        traceArrays.clear();
        tracePool.clear();
        for (int s : planned) {
            INDArray a = traced[s];
            if (a != null && seen.add(a) && a.closeable()) {
                a.close();
            }
        }
    }
}
