package org.deq4j.zoo.data;

import java.util.OptionalLong;

/**
 * A data file exists but its content is not what its format promises: wrong magic number,
 * truncated record, label out of range, images and labels that disagree in count. The message
 * reads {@code <file>, record <i>: <problem>}; {@link #record()} gives the 0-based record index
 * when the problem is tied to one record (it is empty for header-level problems).
 */
public class DataFormatException extends DataException {
    private static final long serialVersionUID = 1L;

    private final long record;

    /** A problem with the record at 0-based index {@code record} of {@code file}. */
    public DataFormatException(String file, long record, String problem) {
        super(file, file + ", record " + record + ": " + problem);
        this.record = record;
    }

    /** A problem with {@code file} as a whole (header, record count). */
    public DataFormatException(String file, String problem) {
        super(file, file + ": " + problem);
        this.record = -1;
    }

    /** As {@link #DataFormatException(String, long, String)}, keeping the decoder error that caused it. */
    public DataFormatException(String file, long record, String problem, Throwable cause) {
        super(file, file + ", record " + record + ": " + problem, cause);
        this.record = record;
    }

    /** The 0-based index of the offending record, if the problem is tied to one. */
    public OptionalLong record() {
        return record < 0 ? OptionalLong.empty() : OptionalLong.of(record);
    }
}
