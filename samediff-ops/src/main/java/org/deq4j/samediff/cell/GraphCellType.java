package org.deq4j.samediff.cell;

import java.util.Map;

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
}
