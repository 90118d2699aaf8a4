package org.deq4j.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A SameDiff graph compiled for one set of placeholder shapes: its operations in execution order,
 * each bound once to fixed arrays, so that running it again executes the native kernels and nothing
 * else. No array is allocated after compilation: intermediates live in buffers that are planned by
 * liveness (two intermediates whose lifetimes do not overlap share a buffer) and reused by every run,
 * including every iteration of a while loop, so memory does not grow with the number of iterations.
 *
 * <p>This replaces SameDiff's interpreter ({@code InferenceSession}) on the hot paths: in M2.1 that
 * interpreter allocates a fresh native buffer for every op output of every execution (freed only by
 * a garbage collection), spends tens of microseconds per op on bookkeeping, and its array-reusing
 * memory manager can hand out a buffer while an alias of it is still to be read (docs/
 * samediff-limitations.md). Here aliases (identity, loop frame entry and exit) are resolved when the
 * program is compiled, so a buffer is only reused after every alias of it has been read for the last
 * time.
 *
 * <p>Compilation traces one real execution with fresh arrays (some output shapes depend on values
 * computed in the graph, such as a shape vector), then plans the buffers. The program is valid for
 * placeholders of the traced shapes, types and orders ({@link #accepts}); shapes computed inside the
 * graph must depend on the placeholders' shapes only, never on their values. Supported graphs: plain
 * ops (custom and legacy) and non-nested while loops built with {@code SameDiff.whileLoop} whose
 * variables keep their shapes. Anything else is refused at compilation with
 * {@link UnsupportedGraphException}, so the caller can fall back to SameDiff's own execution.
 *
 * <p>Arrays returned by {@link #run} belong to the program: they are overwritten by the next run and
 * freed by {@link #close}. Not thread-safe: one run at a time.
 */
public final class GraphProgram implements AutoCloseable {
    private final Signature signature;
    private final List<String> outputs;
    private final int[] outputSlots;
    private final Map<String, Integer> placeholderSlots;
    private final Map<String, Integer> variableSlots;
    private final SameDiff sd;
    private final Block main;
    private final INDArray[] slots;
    private final List<INDArray> buffers;
    private final Scratch scratch;
    private final Listeners listeners;
    private boolean closed;

    GraphProgram(SameDiff sd, Signature signature, List<String> outputs, int[] outputSlots,
                 Map<String, Integer> placeholderSlots, Map<String, Integer> variableSlots, Block main,
                 INDArray[] slots, List<INDArray> buffers, Scratch scratch, Listeners listeners) {
        this.scratch = scratch;
        this.listeners = listeners;
        this.sd = sd;
        this.signature = signature;
        this.outputs = List.copyOf(outputs);
        this.outputSlots = outputSlots;
        this.placeholderSlots = placeholderSlots;
        this.variableSlots = variableSlots;
        this.main = main;
        this.slots = slots;
        this.buffers = buffers;
    }

    /**
     * Compiles {@code outputs} of {@code sd} for placeholders shaped like {@code placeholders}
     * (which are read: compilation runs the graph once).
     *
     * @throws UnsupportedGraphException if the graph holds an operation or a control-flow form this
     *         executor does not run
     */
    public static GraphProgram compile(SameDiff sd, List<String> outputs, Map<String, INDArray> placeholders) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return new ProgramCompiler(sd, outputs, placeholders).compile();
        }
    }

    /** Whether {@code placeholders} have the shapes, data types and orders this program was compiled for. */
    public boolean accepts(Map<String, INDArray> placeholders) {
        return signature.matches(placeholders);
    }

    /** The requested outputs, in {@link #run} result order. */
    public List<String> outputs() {
        return outputs;
    }

    /**
     * Runs the program. The returned arrays (one per {@link #outputs()} entry, same order) belong to
     * the program and are overwritten by the next run.
     *
     * @throws IllegalArgumentException if the placeholders do not match the compiled signature
     * @throws RetraceException if a loop body runs that compilation never saw run (recompile)
     */
    public INDArray[] run(Map<String, INDArray> placeholders) {
        return run(placeholders, List.of(), Operation.INFERENCE);
    }

    /**
     * {@link #run(Map)}, reporting every op execution to the active {@code listeners} (through
     * {@code Listener.opExecution}) as SameDiff's own executor does.
     */
    public INDArray[] run(Map<String, INDArray> placeholders, List<Listener> listeners, Operation operation) {
        if (closed) {
            throw new IllegalStateException("the program was closed");
        }
        if (!signature.matches(placeholders)) {
            throw new IllegalArgumentException("placeholders " + Signature.describe(placeholders)
                    + " do not match the compiled signature " + signature);
        }
        for (Map.Entry<String, Integer> e : placeholderSlots.entrySet()) {
            slots[e.getValue()] = placeholders.get(e.getKey());
        }
        for (Map.Entry<String, Integer> e : variableSlots.entrySet()) {
            slots[e.getValue()] = sd.getArrForVarName(e.getKey());
        }
        this.listeners.set(listeners, operation);
        try {
            main.run(slots);
        } finally {
            this.listeners.set(List.of(), Operation.INFERENCE);
        }
        INDArray[] out = new INDArray[outputSlots.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = slots[outputSlots[i]];
        }
        return out;
    }

    /** {@link #run} with the results by output name. */
    public Map<String, INDArray> runToMap(Map<String, INDArray> placeholders) {
        INDArray[] r = run(placeholders);
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < r.length; i++) {
            m.put(outputs.get(i), r[i]);
        }
        return m;
    }

    /** Bytes of the buffers the program owns (its planned intermediates and outputs). */
    public long bufferBytes() {
        long total = 0;
        for (INDArray b : buffers) {
            total += b.length() * b.dataType().width();
        }
        return total + scratch.bytes();
    }

    /** Frees the program's buffers and native op contexts now (not at a later garbage collection). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        main.close();
        scratch.close();
        Set<INDArray> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (INDArray b : buffers) {
            if (seen.add(b) && b.closeable()) {
                b.close();
            }
        }
        Arrays.fill(slots, null);
    }

    /** Placeholder shapes, data types and orders a program was compiled for. */
    record Signature(Map<String, Key> keys) {
        record Key(DataType type, long[] shape, char order) {
            static Key of(INDArray a) {
                return new Key(a.dataType(), a.shape(), a.ordering());
            }

            boolean matches(INDArray a) {
                return a != null && a.dataType() == type && Arrays.equals(a.shape(), shape)
                        && (a.ordering() == order || a.length() <= 1);
            }

            @Override
            public String toString() {
                return type + Arrays.toString(shape) + order;
            }
        }

        static Signature of(Map<String, INDArray> placeholders, Set<String> used) {
            Map<String, Key> keys = new LinkedHashMap<>();
            for (String name : used) {
                INDArray a = placeholders.get(name);
                if (a == null) {
                    throw new IllegalArgumentException("no array for placeholder '" + name + "'");
                }
                keys.put(name, Key.of(a));
            }
            return new Signature(keys);
        }

        boolean matches(Map<String, INDArray> placeholders) {
            for (Map.Entry<String, Key> e : keys.entrySet()) {
                if (!e.getValue().matches(placeholders.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        static String describe(Map<String, INDArray> placeholders) {
            List<String> parts = new ArrayList<>();
            placeholders.forEach((k, v) -> parts.add(k + "=" + (v == null ? "null" : Key.of(v))));
            return parts.toString();
        }

        @Override
        public String toString() {
            return keys.toString();
        }
    }
}
