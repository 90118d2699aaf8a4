package org.deq4j.samediff.op;

import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Lets a RevDEQ sub-graph free its intermediate arrays while it runs. M2.1's {@code Invoke} switches
 * the sub-graph's array release off ({@code setEnableCache(false)}) right before every execution, and
 * without release the session keeps every array of the execution reachable until it ends: every loop
 * iteration's arrays, so the op's memory would grow with the number of steps, exactly what RevDEQ
 * avoids. This listener switches release back on when the execution starts (after {@code Invoke}
 * has switched it off); the session's dependency tracker then frees each array once its last consumer
 * has run, and never frees placeholders (the outer graph's arrays), variables, constants or outputs.
 */
final class ReleaseArraysListener extends BaseListener {
    static final ReleaseArraysListener INSTANCE = new ReleaseArraysListener();

    private ReleaseArraysListener() {
    }

    @Override
    public boolean isActive(Operation operation) {
        return true;
    }

    @Override
    public void operationStart(SameDiff sd, Operation op) {
        sd.setEnableCache(true);
    }
}
