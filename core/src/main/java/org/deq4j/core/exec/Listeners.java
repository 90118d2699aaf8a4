package org.deq4j.core.exec;

import java.util.List;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;

/**
 * The SameDiff listeners of a {@link GraphProgram}'s current run: each op execution is reported to
 * the active ones through {@link Listener#opExecution}, as SameDiff's own executor does, so that
 * listeners attached to a graph (profilers, op counters, debuggers) keep working. Free when there
 * are none.
 */
final class Listeners {
    private final SameDiff sd;
    private List<Listener> current = List.of();
    private Operation operation = Operation.INFERENCE;

    Listeners(SameDiff sd) {
        this.sd = sd;
    }

    void set(List<Listener> listeners, Operation operation) {
        // PlannedSessions' registrar only needs operation starts; skipping it keeps runs free of listener calls
        boolean none = listeners == null || listeners.isEmpty()
                || listeners.size() == 1 && listeners.get(0) == PlannedSessions.Registrar.INSTANCE;
        this.current = none ? List.of() : listeners;
        this.operation = operation;
    }

    boolean active() {
        return !current.isEmpty();
    }

    void opExecuted(SameDiffOp op, OpContext oc, INDArray[] outputs) {
        for (Listener l : current) {
            if (l.isActive(operation)) {
                l.opExecution(sd, At.defaultAt(), null, op, oc, outputs.clone());
            }
        }
    }
}
