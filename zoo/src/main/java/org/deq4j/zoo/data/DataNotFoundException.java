package org.deq4j.zoo.data;

/**
 * A data set file or folder does not exist, or no data set path was given where one is required.
 * The message names what was looked for and ends with a hint on where to obtain the data.
 */
public class DataNotFoundException extends DataException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file    the missing file or folder, as shown to the user
     * @param problem what is missing, e.g. {@code "file not found"}
     * @param hint    how to obtain the data; appended to the message
     */
    public DataNotFoundException(String file, String problem, String hint) {
        super(file, file + ": " + problem + (hint.isEmpty() ? "" : ". " + hint));
    }
}
