package org.deq4j.lm.token;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import org.deq4j.core.InvalidConfigException;

/**
 * GPT-2's byte-level BPE ({@code r50k_base}, 50,257 ids; id 50256 is {@code <|endoftext|>}), exact and
 * offline: the merge ranks ship inside the jtokkit jar. {@link #encode} treats the literal text
 * {@code <|endoftext|>} as ordinary characters, so the round trip holds for every string; the special
 * token only appears as the {@link #documentSeparator()}.
 *
 * <p>The model vocabulary can be padded ({@link #padded()}: 50,304 = 786 x 64, as in the RevDEQ
 * WikiText-103 experiment); padding ids are never produced and decoding them raises
 * {@link InvalidTokenException}. Instances are immutable and safe to share between threads.
 */
public final class Gpt2Tokenizer implements Tokenizer {

    /** Number of real GPT-2 ids. */
    public static final int VOCAB_SIZE = 50257;
    /** Id of {@code <|endoftext|>}. */
    public static final int END_OF_TEXT = 50256;
    /** GPT-2's vocabulary rounded up to a multiple of 64, as used by the paper. */
    public static final int PADDED_VOCAB_SIZE = 50304;

    // Loading the ranks takes ~100 ms and ~10 MB, so one instance is shared. jtokkit caches a special
    // token's bytes in a plain HashMap on first decode; decoding <|endoftext|> here, during class
    // initialisation, makes every later access a read, so concurrent use is safe.
    private static final class Holder {
        static final Encoding ENCODING = load();

        private static Encoding load() {
            Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
            IntArrayList endOfText = new IntArrayList(1);
            endOfText.add(END_OF_TEXT);
            encoding.decodeBytes(endOfText);
            return encoding;
        }
    }

    private final int paddedVocabSize;

    private Gpt2Tokenizer(int paddedVocabSize) {
        this.paddedVocabSize = paddedVocabSize;
    }

    /** GPT-2 with the model vocabulary equal to the real one (50,257). */
    public static Gpt2Tokenizer create() {
        return new Gpt2Tokenizer(VOCAB_SIZE);
    }

    /** GPT-2 with the model vocabulary padded to 50,304. */
    public static Gpt2Tokenizer padded() {
        return paddedToMultipleOf(64);
    }

    /**
     * GPT-2 with the model vocabulary rounded up to a multiple of {@code multiple}.
     *
     * @throws InvalidConfigException if {@code multiple < 1}
     */
    public static Gpt2Tokenizer paddedToMultipleOf(int multiple) {
        if (multiple < 1) {
            throw new InvalidConfigException("vocabulary padding multiple must be >= 1, got " + multiple);
        }
        return new Gpt2Tokenizer((VOCAB_SIZE + multiple - 1) / multiple * multiple);
    }

    @Override
    public int[] encode(String text) {
        return Holder.ENCODING.encodeOrdinary(text).toArray();
    }

    @Override
    public String decode(int[] tokens) {
        IntArrayList list = new IntArrayList(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= VOCAB_SIZE) {
                throw new InvalidTokenException("token id " + t + " at position " + i
                        + " is outside GPT-2's vocabulary [0, " + VOCAB_SIZE + ")"
                        + (t >= VOCAB_SIZE && t < paddedVocabSize ? " (a padding id: mask it when sampling)" : ""));
            }
            list.add(t);
        }
        return new String(Holder.ENCODING.decodeBytes(list), StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public int paddedVocabSize() {
        return paddedVocabSize;
    }

    @Override
    public String name() {
        return "gpt2";
    }

    @Override
    public int[] documentSeparator() {
        return new int[] {END_OF_TEXT};
    }

    /**
     * Cuts only where GPT-2's pre-tokenizer regex
     * ({@code 's|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}) provably starts a new piece
     * whatever follows: right after a newline that is preceded by a non-space and followed by a non-space
     * ({@code "a\nb"}), or right after a newline followed by one space and a non-space ({@code "\n b"},
     * every line start in WikiText). Elsewhere a whitespace run could merge across the cut.
     */
    @Override
    public int safeSplitPoint(CharSequence text) {
        for (int p = text.length() - 2; p >= 1; p--) {
            if (text.charAt(p - 1) != '\n') {
                continue;
            }
            char next = text.charAt(p);
            boolean afterPlain = p == 1 || isPlainNonSpace(text.charAt(p - 2));
            if (afterPlain && isPlainNonSpace(next)) {
                return p;
            }
            if (next == ' ' && isPlainNonSpace(text.charAt(p + 1))) {
                return p;
            }
        }
        return 0;
    }

    // Characters that are certainly not \s under Pattern.UNICODE_CHARACTER_CLASS, which jtokkit uses.
    private static boolean isPlainNonSpace(char c) {
        return (c > ' ' && c < 0x7F) || Character.isLetterOrDigit(c);
    }

    @Override
    public String toString() {
        return "Gpt2Tokenizer[r50k_base, padded vocab " + paddedVocabSize + "]";
    }
}
