package org.deq4j.core.exec;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@code SameDiff.whileLoop}: loop variables in fixed buffers, the condition block, then while the
 * condition holds the body block and a copy of each changed loop variable's new value into its
 * buffer. Body buffers are reused by every iteration, so memory does not depend on the iteration count.
 * Loop variables the body passes through unchanged (injection, parameters) are not copied at all:
 * their buffer is the initial value itself.
 */
final class LoopStep implements Step {
    private final String frame;
    private final int end;
    private final SlotPlan plan;
    private final int[] initial;
    private final int[] state;
    private final int[] next;
    private final int[] saved;
    private final Block cond;
    private final int predicate;
    private final Block body;
    private boolean bodyTraced;

    /**
     * @param end       the loop's last schedule position (where its variables advance), for liveness
     * @param initial   per loop variable, the slot of its value before the loop
     * @param state     per loop variable, the slot holding its current value (the initial slot itself
     *                  for a variable the body passes through)
     * @param next      per loop variable, the slot of the body's new value (the state slot for a
     *                  pass-through variable)
     * @param saved     per loop variable, -1, or the slot its next value is copied to before any
     *                  variable is overwritten: for a next value that is another variable's current
     *                  value (b' = a, or a swap), which advancing would overwrite before it is read
     * @param predicate the slot of the condition's boolean scalar
     */
    LoopStep(String frame, int end, int[] initial, int[] state, int[] next, int[] saved, Block cond, int predicate,
             Block body, SlotPlan plan) {
        this.frame = frame;
        this.end = end;
        this.plan = plan;
        this.initial = initial;
        this.state = state;
        this.next = next;
        this.saved = saved;
        this.cond = cond;
        this.predicate = predicate;
        this.body = body;
    }

    @Override
    public void run(INDArray[] slots) {
        enter(slots);
        while (true) {
            cond.run(slots);
            if (!holds(slots)) {
                return;
            }
            if (!bodyTraced) {
                throw new RetraceException("the body of loop '" + frame + "' never ran while the program was"
                        + " compiled; compile again with these inputs");
            }
            body.run(slots);
            advance(slots);
        }
    }

    @Override
    public void trace(INDArray[] slots) {
        for (int i = 0; i < state.length; i++) {
            if (slots[state[i]] == null) {
                INDArray init = slots[initial[i]];
                slots[state[i]] = plan.allocate(init.dataType(), init.shape());
            }
        }
        enter(slots);
        while (true) {
            cond.trace(slots);
            if (!holds(slots)) {
                plan.traced(end, slots);
                return;
            }
            body.trace(slots);
            bodyTraced = true;
            for (int i = 0; i < state.length; i++) {
                INDArray now = slots[state[i]];
                if (saved[i] >= 0 && slots[saved[i]] == null) {
                    slots[saved[i]] = plan.allocate(now.dataType(), now.shape());
                }
                INDArray nxt = slots[next[i]];
                if (!Arrays.equals(now.shape(), nxt.shape()) || now.dataType() != nxt.dataType()) {
                    throw new UnsupportedGraphException("loop '" + frame + "' variable " + i + " changes from "
                            + now.dataType() + Arrays.toString(now.shape()) + " to " + nxt.dataType()
                            + Arrays.toString(nxt.shape()) + " in one iteration");
                }
            }
            advance(slots);
        }
    }

    @Override
    public void bind(INDArray[] slots) {
        cond.bind(slots);
        if (bodyTraced) {
            body.bind(slots);
        }
    }

    @Override
    public void close() {
        cond.close();
        body.close();
    }

    /** Whether the body was traced, so that its buffers can be planned. */
    boolean bodyTraced() {
        return bodyTraced;
    }

    private void enter(INDArray[] slots) {
        for (int i = 0; i < state.length; i++) {
            if (state[i] != initial[i]) {
                slots[state[i]].assign(slots[initial[i]]);
            }
        }
    }

    private boolean holds(INDArray[] slots) {
        return slots[predicate].getDouble(0) != 0.0;
    }

    private void advance(INDArray[] slots) {
        for (int i = 0; i < state.length; i++) {
            if (saved[i] >= 0) {
                slots[saved[i]].assign(slots[next[i]]);
            }
        }
        for (int i = 0; i < state.length; i++) {
            int from = saved[i] >= 0 ? saved[i] : next[i];
            if (from != state[i]) {
                slots[state[i]].assign(slots[from]);
            }
        }
    }
}
