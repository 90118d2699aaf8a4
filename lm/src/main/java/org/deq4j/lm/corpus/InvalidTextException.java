package org.deq4j.lm.corpus;

/**
 * A corpus file is not valid UTF-8. Corpora are read strictly rather than with silent replacement, so
 * that a mis-encoded file (often Latin-1 or UTF-16) is noticed; the message names the file and the byte
 * offset of the first malformed sequence.
 */
public class InvalidTextException extends CorpusException {
    private static final long serialVersionUID = 1L;
    private final String source;
    private final long byteOffset;

    public InvalidTextException(String source, long byteOffset, String detail) {
        super(source + " is not valid UTF-8: " + detail + " at byte offset " + byteOffset
                + "; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8 in > out) or remove the file");
        this.source = source;
        this.byteOffset = byteOffset;
    }

    /** The file (or resource) that failed to decode. */
    public String source() {
        return source;
    }

    /** Offset of the first malformed byte, counted from the start of the (decompressed) file. */
    public long byteOffset() {
        return byteOffset;
    }
}
