package org.deq4j.samediff.cell;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A kind of {@link GraphCell} that {@link GraphCells} finds through {@link java.util.ServiceLoader}:
 * list the implementing class in {@code META-INF/services/org.deq4j.samediff.cell.GraphCellType} of
 * the jar that holds the cell, and saved networks and graphs containing it load with no
 * registration call. Implementations need a public no-argument constructor.
 */
public interface GraphCellType {
    /** The cell's {@link GraphCell#type()}. */
    String type();

    /**
     * Recreates a cell from its {@link GraphCell#config()}.
     *
     * @throws org.deq4j.core.InvalidConfigException if the configuration is invalid
     */
    GraphCell create(Map<String, Object> config);

    /**
     * A service made of a type name and a factory: {@code public static final class Type extends
     * GraphCellType.Of { public Type() { super(TYPE, MyCell::fromConfig); } }}.
     */
    abstract class Of implements GraphCellType {
        private final String type;
        private final Function<Map<String, Object>, GraphCell> factory;

        protected Of(String type, Function<Map<String, Object>, GraphCell> factory) {
            this.type = Objects.requireNonNull(type, "type");
            this.factory = Objects.requireNonNull(factory, "factory");
        }

        @Override
        public final String type() {
            return type;
        }

        @Override
        public final GraphCell create(Map<String, Object> config) {
            return factory.apply(config);
        }
    }
}
