package org.deq4j.zoo.data;

/** Where {@link Datasets} found a data set. */
public enum DataOrigin {
    /** A folder the caller passed explicitly. */
    EXPLICIT,
    /** The system-wide copy installed by a Debian package. */
    DEBIAN,
    /** The small extract bundled in the deq4j-zoo jar. */
    EMBEDDED
}
