package org.deq4j.core.exec;

import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.InferenceFactory;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.config.ExecutionResult;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.config.SDValueType;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.NoOpMemoryMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes SameDiff's own entry points ({@code output}, {@code calculateGradients}, an {@code Invoke}
 * op running a sub-graph) execute registered graphs with the planned executor ({@link GraphRunner})
 * instead of SameDiff's interpreter. A registered graph's function instances (its gradient function,
 * created later) are covered too. The RevDEQ op registers its forward and backward sub-graphs, so
 * their while loops run with no per-op allocation and memory flat in the number of iterations.
 *
 * <p>How: SameDiff creates each thread's session through a JVM-wide {@link InferenceFactory}; the
 * factory installed here hands registered graphs a {@link PlannedSession} and delegates every other
 * graph to the factory it replaced. The session answers a plain request (placeholders in, named
 * outputs out) with a compiled program and returns copies of the results (the program's buffers are
 * reused by its next run); anything else (a request with list-valued placeholders, a training batch,
 * extra activations) and any graph the executor does not support goes to SameDiff's interpreter.
 *
 * <p>That interpreter runs with ND4J's {@link NoOpMemoryMgr} (a fresh array for every op) instead of
 * its default array cache: in M2.1 the cache can hand a buffer still in use (the buffer behind a
 * reshape view) to a later op of the same call, which overwrites it (seen with the transformer cell in
 * float32: values off by about 4; docs/samediff-limitations.md). Slower, correct.
 */
public final class PlannedSessions {
    private static final Logger LOG = LoggerFactory.getLogger(PlannedSessions.class);
    // By identity: SameDiff's hashCode changes as the graph grows.
    private static final List<WeakReference<SameDiff>> REGISTERED = new ArrayList<>();
    private static boolean installed;

    private PlannedSessions() {
    }

    /**
     * Runs {@code sd} (and the functions it defines later, such as its gradient function) with the
     * planned executor from its next session on. Idempotent.
     */
    public static synchronized void register(SameDiff sd) {
        if (!installed) {
            InferenceFactory previous = SameDiff.getInferenceFactory();
            SameDiff.bindInferenceFactory(g -> isRegistered(g) ? new PlannedSession(g) : previous.create(g));
            installed = true;
        }
        REGISTERED.removeIf(r -> r.get() == null);
        if (!isRegistered(sd)) {
            REGISTERED.add(new WeakReference<>(sd));
        }
        // SameDiff creates a thread's session as soon as arrays are set; drop any made before now
        sd.getSessions().clear();
        if (!sd.getListeners().contains(Registrar.INSTANCE)) {
            sd.addListeners(Registrar.INSTANCE);
        }
    }

    /** Whether {@code sd} is registered, or defined by a registered graph (its parent chain). */
    static synchronized boolean isRegistered(SameDiff sd) {
        for (SameDiff g = sd; g != null; g = parentOf(g)) {
            for (WeakReference<SameDiff> r : REGISTERED) {
                if (r.get() == g) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Registers the graphs a registered graph makes: SameDiff copies a graph's listeners to its
     * gradient function (built with no link to the graph, and with its session already made) and
     * tells them when an execution starts, before it takes the session; registering the gradient
     * function then gives that execution a planned session.
     */
    static final class Registrar extends BaseListener {
        static final Registrar INSTANCE = new Registrar();

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void operationStart(SameDiff sd, Operation op) {
            if (!isRegistered(sd)) {
                register(sd);
            }
        }
    }

    private static SameDiff parentOf(SameDiff sd) {
        try {
            Field f = SameDiff.class.getDeclaredField("parent");
            f.setAccessible(true);
            return (SameDiff) f.get(sd);
        } catch (ReflectiveOperationException e) {
            return null; // another ND4J version: only directly registered graphs are covered
        }
    }

    /** A session that runs plain requests with compiled programs, one runner per list of outputs. */
    static final class PlannedSession extends InferenceSession {
        private final Map<List<String>, GraphRunner> runners = new HashMap<>();
        private boolean unsupported;

        PlannedSession(SameDiff sd) {
            super(sd);
            setMmgr(new NoOpMemoryMgr());
        }

        @Override
        public ExecutionResult output(List<String> variables, Map<String, INDArray> placeholderValues,
                                      Map<String, SDValue> otherPlaceHolderValues, MultiDataSet batch,
                                      Collection<String> requiredActivations, List<Listener> listeners, At at) {
            Map<String, INDArray> inputs = tensors(placeholderValues, otherPlaceHolderValues);
            boolean plain = inputs != null && batch == null
                    && (requiredActivations == null || requiredActivations.isEmpty()) && !variables.isEmpty();
            if (unsupported || !plain) {
                return super.output(variables, placeholderValues, otherPlaceHolderValues, batch, requiredActivations,
                        listeners, at);
            }
            try {
                List<String> key = List.copyOf(variables);
                GraphRunner runner = runners.computeIfAbsent(key, k -> new GraphRunner(sameDiff, k));
                INDArray[] results = runner.run(typed(inputs), listeners == null ? List.of() : listeners,
                        at == null ? Operation.INFERENCE : at.operation());
                Map<String, INDArray> out = new LinkedHashMap<>();
                Map<String, SDValue> values = new LinkedHashMap<>();
                for (int i = 0; i < key.size(); i++) {
                    INDArray copy = results[i].dup();
                    out.put(key.get(i), copy);
                    values.put(key.get(i), SDValue.create(copy));
                }
                // both forms: SameDiff.output reads the arrays, outputValues (used by Invoke) the values
                return ExecutionResult.builder().outputs(ExecutionResult.pack(out)).valueOutputs(values).build();
            } catch (UnsupportedGraphException e) {
                LOG.debug("planned executor cannot run this graph ({}); using SameDiff's executor", e.getMessage());
                unsupported = true;
                runners.values().forEach(GraphRunner::close);
                runners.clear();
                return super.output(variables, placeholderValues, otherPlaceHolderValues, batch, requiredActivations,
                        listeners, at);
            }
        }

        /**
         * All placeholders as arrays ({@code Invoke} passes a sub-graph's inputs as tensor values),
         * or null if one is a list value, which only SameDiff's interpreter handles.
         */
        private static Map<String, INDArray> tensors(Map<String, INDArray> arrays, Map<String, SDValue> values) {
            if (values == null || values.isEmpty()) {
                return arrays == null ? Map.of() : arrays;
            }
            Map<String, INDArray> all = new HashMap<>(arrays == null ? Map.of() : arrays);
            for (Map.Entry<String, SDValue> e : values.entrySet()) {
                SDValue v = e.getValue();
                if (v == null || v.getSdValueType() != SDValueType.TENSOR) {
                    return null;
                }
                all.put(e.getKey(), v.getTensorValue());
            }
            return all;
        }

        /** Placeholders cast to their declared types, as SameDiff's own session does. */
        private Map<String, INDArray> typed(Map<String, INDArray> placeholders) {
            if (placeholders == null) {
                return Map.of();
            }
            Map<String, INDArray> out = null;
            for (Map.Entry<String, INDArray> e : placeholders.entrySet()) {
                if (!sameDiff.hasVariable(e.getKey())) {
                    continue;
                }
                var declared = sameDiff.getVariable(e.getKey()).dataType();
                if (e.getValue() != null && e.getValue().dataType() != declared) {
                    if (out == null) {
                        out = new HashMap<>(placeholders);
                    }
                    out.put(e.getKey(), e.getValue().castTo(declared));
                }
            }
            return out == null ? placeholders : out;
        }
    }
}
