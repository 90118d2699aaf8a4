package org.deq4j.zoo.data;

import org.deq4j.core.DeqException;

/**
 * A data set could not be loaded. The message always names the file (or classpath resource)
 * involved; subclasses say whether it was missing ({@link DataNotFoundException}) or malformed
 * ({@link DataFormatException}). Raised directly for I/O failures such as an unreadable file.
 */
public class DataException extends DeqException {
    private static final long serialVersionUID = 1L;

    private final String file;

    /**
     * @param file    the file or resource the problem concerns, as shown to the user
     * @param message the full message, which should mention {@code file}
     */
    public DataException(String file, String message) {
        super(message);
        this.file = file;
    }

    /** As {@link #DataException(String, String)}, keeping the I/O error that caused it. */
    public DataException(String file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file or classpath resource the problem concerns. */
    public String file() {
        return file;
    }
}
