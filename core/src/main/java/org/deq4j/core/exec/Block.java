package org.deq4j.core.exec;

import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Steps run in order: a program's body, or a loop's condition or body. */
final class Block implements Step {
    private final List<Step> steps;

    Block(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    List<Step> steps() {
        return steps;
    }

    @Override
    public void run(INDArray[] slots) {
        for (Step s : steps) {
            s.run(slots);
        }
    }

    @Override
    public void trace(INDArray[] slots) {
        for (Step s : steps) {
            s.trace(slots);
        }
    }

    @Override
    public void bind(INDArray[] slots) {
        for (Step s : steps) {
            s.bind(slots);
        }
    }

    @Override
    public void close() {
        for (Step s : steps) {
            s.close();
        }
    }
}
