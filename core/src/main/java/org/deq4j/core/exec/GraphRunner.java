package org.deq4j.core.exec;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs fixed outputs of one SameDiff graph through {@link GraphProgram}s, compiling one per
 * placeholder signature (shapes, types, orders) the first time it is met and keeping the most
 * recently used few (a DL4J training run meets the full batch size, the smaller last batch and the
 * evaluation batch size). A program evicted from the cache is closed at once, so its buffers do not
 * wait for a garbage collection.
 *
 * <p>Results belong to the runner's current program: they are overwritten by the next run of the
 * same signature and freed when the runner is closed or the program evicted. Not thread-safe.
 */
public final class GraphRunner implements AutoCloseable {
    /** Programs kept per runner. */
    static final int CAPACITY = 3;

    private final SameDiff sd;
    private final List<String> outputs;
    private final Deque<GraphProgram> programs = new ArrayDeque<>();

    /**
     * @param sd      the graph; it must not change afterwards
     * @param outputs the variables every run computes, in result order
     */
    public GraphRunner(SameDiff sd, List<String> outputs) {
        this.sd = Objects.requireNonNull(sd, "sd");
        this.outputs = List.copyOf(outputs);
    }

    /**
     * Runs the graph on {@code placeholders}, compiling first if their signature is new.
     *
     * @return one array per output, owned by the runner (see the class comment)
     * @throws UnsupportedGraphException if the graph cannot be compiled
     */
    public INDArray[] run(Map<String, INDArray> placeholders) {
        return run(placeholders, List.of(), Operation.INFERENCE);
    }

    /** {@link #run(Map)}, reporting op executions to {@code listeners} (see {@link GraphProgram#run(Map, List, Operation)}). */
    public INDArray[] run(Map<String, INDArray> placeholders, List<Listener> listeners, Operation operation) {
        GraphProgram p = programFor(placeholders);
        try {
            return p.run(placeholders, listeners, operation);
        } catch (RetraceException e) {
            // a loop body that never ran at compilation: trace again with these inputs
            programs.remove(p);
            p.close();
            GraphProgram fresh = GraphProgram.compile(sd, outputs, placeholders);
            programs.addFirst(fresh);
            return fresh.run(placeholders, listeners, operation);
        }
    }

    /** Bytes of the buffers held by the cached programs. */
    public long bufferBytes() {
        long total = 0;
        for (GraphProgram p : programs) {
            total += p.bufferBytes();
        }
        return total;
    }

    /** Closes every cached program (frees their buffers now). */
    @Override
    public void close() {
        for (GraphProgram p : programs) {
            p.close();
        }
        programs.clear();
    }

    private GraphProgram programFor(Map<String, INDArray> placeholders) {
        for (Iterator<GraphProgram> it = programs.iterator(); it.hasNext();) {
            GraphProgram p = it.next();
            if (p.accepts(placeholders)) {
                if (programs.peekFirst() != p) {
                    it.remove();
                    programs.addFirst(p);
                }
                return p;
            }
        }
        GraphProgram p = GraphProgram.compile(sd, outputs, placeholders);
        programs.addFirst(p);
        while (programs.size() > CAPACITY) {
            programs.removeLast().close();
        }
        return p;
    }
}
