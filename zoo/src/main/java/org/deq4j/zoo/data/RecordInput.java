package org.deq4j.zoo.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A data file read as a header of big-endian ints followed by fixed-size records, transparently
 * gunzipped when it starts with the gzip magic bytes. Every short read or decoder failure becomes a
 * {@link DataFormatException} naming the file and the record; a missing file becomes a
 * {@link DataNotFoundException}.
 */
final class RecordInput implements Closeable {
    private static final int BUFFER = 1 << 16;

    private final String name;
    private final InputStream in;

    private RecordInput(String name, InputStream in) {
        this.name = name;
        this.in = in;
    }

    static RecordInput open(NamedStream source) {
        InputStream raw;
        try {
            raw = new BufferedInputStream(source.opener().open(), BUFFER);
        } catch (NoSuchFileException e) {
            throw new DataNotFoundException(source.name(), "file not found", "");
        } catch (IOException e) {
            throw new DataException(source.name(), source.name() + ": cannot open: " + e.getMessage(), e);
        }
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            return new RecordInput(source.name(), gzip ? new BufferedInputStream(new GZIPInputStream(raw, BUFFER), BUFFER) : raw);
        } catch (IOException e) {
            closeQuietly(raw);
            throw new DataFormatException(source.name(), "cannot read gzip header: " + e.getMessage());
        }
    }

    String name() {
        return name;
    }

    /** Reads one big-endian 32-bit header field called {@code field}. */
    int readHeaderInt(String field) {
        byte[] b = new byte[4];
        int got = readUpTo(b, 0, 4, -1);
        if (got < 4) {
            throw new DataFormatException(name, "file ends inside the header, while reading the " + field);
        }
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    /** Reads record {@code record} (0-based) of {@code len} bytes into {@code dst} at {@code off}. */
    void readRecord(byte[] dst, int off, int len, long record) {
        int got = readUpTo(dst, off, len, record);
        if (got < len) {
            throw new DataFormatException(name, record, "file is truncated: it ends after " + got + " of the "
                    + len + " bytes of this record");
        }
    }

    /** Checks that nothing follows the {@code records} records already read. */
    void expectEnd(long records) {
        int next;
        try {
            next = in.read();
        } catch (IOException e) {
            throw new DataFormatException(name, records, "cannot read after the last record: " + e.getMessage(), e);
        }
        if (next != -1) {
            throw new DataFormatException(name, "file has data after its last record (record " + (records - 1)
                    + "); it is longer than its header or size declares");
        }
    }

    private int readUpTo(byte[] dst, int off, int len, long record) {
        try {
            return in.readNBytes(dst, off, len);
        } catch (EOFException e) {
            // GZIPInputStream reports a cut compressed stream this way.
            throw new DataFormatException(name, Math.max(record, 0), "file is truncated: the compressed stream ends inside this record", e);
        } catch (ZipException e) {
            throw new DataFormatException(name, Math.max(record, 0), "corrupt gzip data: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DataException(name, name + ": read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new DataException(name, name + ": close failed: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(InputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already failing with a more useful error
        }
    }
}
