package org.deq4j.train;

import java.nio.file.Path;
import org.deq4j.core.DeqException;

/**
 * A checkpoint could not be written or read: the file is missing, truncated, corrupt (a CRC or
 * format check failed) or of an unknown format version. {@link #file()} names the file.
 */
public class CheckpointException extends DeqException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CheckpointException(Path file, String message, Throwable cause) {
        super("checkpoint " + file + ": " + message, cause);
        this.file = file;
    }

    public CheckpointException(Path file, String message) {
        this(file, message, null);
    }

    /** The checkpoint file concerned. */
    public Path file() {
        return file;
    }
}
