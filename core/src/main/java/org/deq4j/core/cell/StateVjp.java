package org.deq4j.core.cell;

import org.deq4j.core.state.State;

/**
 * The part of a cell VJP a backward loop keeps after the injection and parameter gradients were
 * added to running sums (see {@link Cell#vjpInto}).
 *
 * @param value {@code f(z, x)}
 * @param gz    {@code gOutᵀ·∂f/∂z}, shaped like {@code z}
 */
public record StateVjp(State value, State gz) {
}
