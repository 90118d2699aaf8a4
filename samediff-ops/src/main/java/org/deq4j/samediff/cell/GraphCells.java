package org.deq4j.samediff.cell;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.deq4j.core.InvalidConfigException;

/**
 * The registry that recreates graph cells from their {@link GraphCell#type()} and
 * {@link GraphCell#config()}. Built-in cells register themselves here; modules with their own cells
 * (e.g. the language model's transformer cell) call {@link #register} once, before any graph
 * containing their cell is loaded or cloned.
 */
public final class GraphCells {
    private static final Map<String, Function<Map<String, Object>, GraphCell>> FACTORIES = new ConcurrentHashMap<>();

    private GraphCells() {
    }

    /** Registers (or replaces) the factory for {@code type}. */
    public static void register(String type, Function<Map<String, Object>, GraphCell> factory) {
        FACTORIES.put(type, factory);
    }

    /**
     * Recreates a cell.
     *
     * @throws InvalidConfigException if no cell of that type is registered
     */
    public static GraphCell create(String type, Map<String, Object> config) {
        Function<Map<String, Object>, GraphCell> f = FACTORIES.get(type);
        if (f == null) {
            throw new InvalidConfigException("unknown graph cell type '" + type + "'; registered: " + types()
                    + ". Register custom cells with GraphCells.register before loading a graph");
        }
        return f.apply(config);
    }

    /** The registered types. */
    public static Set<String> types() {
        return Set.copyOf(FACTORIES.keySet());
    }
}
