package org.deq4j.samediff.cell;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.deq4j.core.InvalidConfigException;

/**
 * The registry that recreates graph cells from their {@link GraphCell#type()} and
 * {@link GraphCell#config()}. It knows every {@link GraphCellType} listed as a
 * {@link ServiceLoader} service on the class path (deq4j's own cells are), so a saved network loads
 * without registration calls; {@link #register} adds a factory by hand (e.g. for a cell defined in a
 * test or a script).
 */
public final class GraphCells {
    private static final Map<String, Function<Map<String, Object>, GraphCell>> FACTORIES = new ConcurrentHashMap<>();

    static {
        for (GraphCellType t : discovered()) {
            FACTORIES.putIfAbsent(t.type(), t::create);
        }
    }

    private GraphCells() {
    }

    /** The cell types listed as {@link GraphCellType} services on the class path, found anew. */
    public static List<GraphCellType> discovered() {
        List<GraphCellType> types = new ArrayList<>();
        ServiceLoader.load(GraphCellType.class, GraphCells.class.getClassLoader()).forEach(types::add);
        return types;
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
                    + ". List the cell's GraphCellType in META-INF/services/" + GraphCellType.class.getName()
                    + ", or call GraphCells.register before loading a graph");
        }
        return f.apply(config);
    }

    /** The registered types. */
    public static Set<String> types() {
        return Set.copyOf(FACTORIES.keySet());
    }
}
