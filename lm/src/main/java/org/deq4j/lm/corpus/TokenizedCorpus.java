package org.deq4j.lm.corpus;

import java.util.EnumMap;
import java.util.Map;
import org.deq4j.lm.token.StreamingEncoder;
import org.deq4j.lm.token.Tokenizer;

/**
 * A corpus turned into three token streams by one tokenizer. Holds every token as an {@code int}
 * (4 bytes each: about 0.5 GB for WikiText-103's training split with GPT-2 tokens).
 *
 * @param corpusName    the corpus's name
 * @param tokenizerName the tokenizer's name
 * @param vocabSize     the tokenizer's padded vocabulary size (the model's output width)
 * @param train         training tokens
 * @param validation    validation tokens
 * @param test          test tokens
 */
public record TokenizedCorpus(String corpusName, String tokenizerName, int vocabSize,
                              SplitTokens train, SplitTokens validation, SplitTokens test) {

    /**
     * Reads and encodes all three splits. Long texts are encoded in blocks cut at the tokenizer's safe
     * split points, giving the same tokens as encoding each document whole.
     *
     * @throws EmptyCorpusException if the training split has no text
     */
    public static TokenizedCorpus of(Corpus corpus, Tokenizer tokenizer) {
        Map<Split, SplitTokens> splits = new EnumMap<>(Split.class);
        for (Split split : Split.values()) {
            splits.put(split, encode(corpus, split, tokenizer));
        }
        if (splits.get(Split.TRAIN).size() == 0) {
            throw new EmptyCorpusException("the training split of corpus '" + corpus.name() + "' is empty");
        }
        return new TokenizedCorpus(corpus.name(), tokenizer.name(), tokenizer.paddedVocabSize(),
                splits.get(Split.TRAIN), splits.get(Split.VALIDATION), splits.get(Split.TEST));
    }

    private static SplitTokens encode(Corpus corpus, Split split, Tokenizer tokenizer) {
        StreamingEncoder encoder = new StreamingEncoder(tokenizer);
        long[] bytes = new long[1];
        corpus.read(split, new DocumentSink() {
            @Override
            public void text(String chunk) {
                bytes[0] += utf8Length(chunk);
                encoder.append(chunk);
            }

            @Override
            public void endDocument() {
                encoder.endDocument();
            }
        });
        int documents = encoder.documents();
        return new SplitTokens(split, encoder.finish(), bytes[0], documents);
    }

    /** The split {@code split}. */
    public SplitTokens get(Split split) {
        return switch (split) {
            case TRAIN -> train;
            case VALIDATION -> validation;
            case TEST -> test;
        };
    }

    // Chunks never split surrogate pairs, so counting per chunk is exact.
    static long utf8Length(CharSequence s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
