package org.deq4j.core.cell;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.state.State;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A cell written in plain Java: the caller supplies the value of {@code f} and its VJP as lambdas.
 * Use it for cells that are easiest to write with ND4J calls directly; the caller is responsible for
 * the VJP being right (check it with {@code org.deq4j.core.check.FiniteDifferences}).
 *
 * <pre>{@code
 * Cell cell = FunctionalCell.builder()
 *     .parameters(List.of(w))
 *     .forward((z, x, p) -> ...)
 *     .vjp((z, x, p, g) -> new CellVjp(...))
 *     .build();
 * }</pre>
 */
public final class FunctionalCell implements Cell {

    /** The value {@code f(z, x; θ)}. */
    @FunctionalInterface
    public interface Forward {
        State apply(State z, State x, List<INDArray> params);
    }

    /** Value and vector-Jacobian product of {@code f} at {@code (z, x)} applied to {@code gOut}. */
    @FunctionalInterface
    public interface Vjp {
        CellVjp apply(State z, State x, List<INDArray> params, State gOut);
    }

    /** The shape of {@code z0} given the injection. */
    @FunctionalInterface
    public interface InitialState {
        State apply(State x, DataType type);
    }

    private final List<INDArray> params;
    private final Forward forward;
    private final Vjp vjp;
    private final Optional<InitialState> initial;

    private FunctionalCell(Builder b) {
        this.params = List.copyOf(b.params);
        this.forward = Objects.requireNonNull(b.forward, "FunctionalCell needs forward(...)");
        this.vjp = Objects.requireNonNull(b.vjp, "FunctionalCell needs vjp(...)");
        this.initial = Optional.ofNullable(b.initial);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<INDArray> parameters() {
        return params;
    }

    @Override
    public State apply(State z, State x) {
        return forward.apply(z, x, params);
    }

    @Override
    public CellVjp valueAndVjp(State z, State x, State gOut) {
        CellVjp r = vjp.apply(z, x, params, gOut);
        if (r.gParams().size() != params.size()) {
            throw new InvalidConfigException("FunctionalCell vjp returned " + r.gParams().size()
                    + " parameter gradients for " + params.size() + " parameters");
        }
        return r;
    }

    @Override
    public State initialState(State x, DataType type) {
        return initial.map(i -> i.apply(x, type)).orElseGet(() -> Cell.super.initialState(x, type));
    }

    /** Builder of {@link FunctionalCell}; {@code forward} and {@code vjp} are required. */
    public static final class Builder {
        private List<INDArray> params = List.of();
        private Forward forward;
        private Vjp vjp;
        private InitialState initial;

        private Builder() {
        }

        public Builder parameters(List<INDArray> params) {
            this.params = Objects.requireNonNull(params);
            return this;
        }

        public Builder forward(Forward forward) {
            this.forward = forward;
            return this;
        }

        public Builder vjp(Vjp vjp) {
            this.vjp = vjp;
            return this;
        }

        /** Optional: the initial state's shapes when they differ from the injection's. */
        public Builder initialState(InitialState initial) {
            this.initial = initial;
            return this;
        }

        public FunctionalCell build() {
            return new FunctionalCell(this);
        }
    }
}
