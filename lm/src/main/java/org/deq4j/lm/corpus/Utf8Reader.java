package org.deq4j.lm.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Strict streaming UTF-8 decoding with byte offsets in the error. A leading byte-order mark is dropped;
 * nothing else is changed (line endings included).
 */
final class Utf8Reader {

    private static final int BUFFER = 1 << 16;

    private Utf8Reader() {
    }

    /**
     * Decodes {@code in} to {@code chunks} (each at most 64 Ki chars, never ending inside a surrogate
     * pair). Does not close {@code in}.
     *
     * @throws InvalidTextException naming {@code source} and the offset of the first malformed byte
     */
    static void read(InputStream in, String source, Consumer<String> chunks) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.allocate(BUFFER);
        CharBuffer chars = CharBuffer.allocate(BUFFER);
        long consumed = 0; // bytes decoded before the start of `bytes`
        boolean first = true;
        boolean eof = false;
        while (!eof) {
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                eof = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
            CoderResult result;
            do {
                result = decoder.decode(bytes, chars, eof);
                if (result.isError()) {
                    throw malformed(source, consumed + bytes.position(), bytes, result);
                }
                if (result.isOverflow() || eof) {
                    first = emit(chars, first, chunks, eof);
                }
            } while (result.isOverflow());
            consumed += bytes.position();
            bytes.compact();
        }
        CoderResult tail = decoder.flush(chars);
        if (tail.isError()) {
            throw new InvalidTextException(source, consumed, "truncated multi-byte sequence at end of file");
        }
        emit(chars, first, chunks, true);
    }

    /** Decodes a whole stream into one string. */
    static String readAll(InputStream in, String source) {
        StringBuilder text = new StringBuilder();
        try {
            read(in, source, text::append);
        } catch (IOException e) {
            throw new CorpusException("cannot read " + source + ": " + e.getMessage(), e);
        }
        return text.toString();
    }

    private static boolean emit(CharBuffer chars, boolean first, Consumer<String> chunks, boolean all) {
        chars.flip();
        int end = chars.limit();
        if (!all && end > 0 && Character.isHighSurrogate(chars.get(end - 1))) {
            end--; // keep the pair together for the next chunk
        }
        int start = first && end > 0 && chars.get(0) == '\uFEFF' ? 1 : 0;
        boolean stillFirst = first && end == 0;
        if (end > start) {
            chunks.accept(chars.subSequence(start, end).toString());
        }
        chars.position(end);
        chars.compact();
        return stillFirst;
    }

    private static InvalidTextException malformed(String source, long offset, ByteBuffer bytes, CoderResult r) {
        StringBuilder shown = new StringBuilder();
        int pos = bytes.position();
        for (int i = 0; i < r.length() && pos + i < bytes.limit(); i++) {
            shown.append(i == 0 ? "" : " ").append(String.format("0x%02X", bytes.get(pos + i) & 0xFF));
        }
        return new InvalidTextException(source, offset, "malformed byte sequence [" + shown + "]");
    }
}
