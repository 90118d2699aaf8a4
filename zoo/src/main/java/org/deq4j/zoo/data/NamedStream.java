package org.deq4j.zoo.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where a data file's bytes come from, with the name used in every message about it: a path on
 * disk or a classpath resource.
 */
record NamedStream(String name, Opener opener) {

    /** Opens a fresh stream; may throw {@link NoSuchFileException} when the data is absent. */
    @FunctionalInterface
    interface Opener {
        InputStream open() throws IOException;
    }

    static NamedStream of(Path path) {
        return new NamedStream(path.toString(), () -> Files.newInputStream(path));
    }

    static NamedStream ofResource(String resource) {
        String name = "classpath:" + resource;
        return new NamedStream(name, () -> {
            InputStream in = NamedStream.class.getClassLoader().getResourceAsStream(resource);
            if (in == null) {
                throw new NoSuchFileException(name);
            }
            return in;
        });
    }
}
