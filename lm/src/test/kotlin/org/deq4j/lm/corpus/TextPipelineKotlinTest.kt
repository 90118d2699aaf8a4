package org.deq4j.lm.corpus

import org.deq4j.lm.token.ByteTokenizer
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The text pipeline as a Kotlin user writes it: corpus -> tokens -> windows -> batches. */
class TextPipelineKotlinTest {

    @Test
    fun corpusToBatches() {
        val corpus = TextCorpus.of(
            "poem", "inline", listOf(Document("p", "Twinkle, twinkle, little star,\n".repeat(40))),
            SplitFractions(0.8, 0.1),
        )
        val tokenizer = ByteTokenizer.plain()
        val tokens = TokenizedCorpus.of(corpus, tokenizer)
        val windows = tokens.train.windows(16)
        val batches = WindowDataSetIterator.builder(windows, tokenizer.paddedVocabSize())
            .batchSize(8).seed(5).build()
        val batch = batches.next()
        assertArrayEquals(longArrayOf(8, 16), batch.features.shape())
        val row = batch.features.getRow(0).toIntVector()
        val target = batch.labels.getRow(0).toIntVector()
        assertArrayEquals(row.copyOfRange(1, 16), target.copyOfRange(0, 15))
        assertEquals(corpus.piece(0, Split.TRAIN).length.toLong(), tokens.train.textBytes)
    }
}
