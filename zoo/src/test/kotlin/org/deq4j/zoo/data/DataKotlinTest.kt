package org.deq4j.zoo.data

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The data API as a Kotlin user writes it: lambda-configured iterator, composed transforms. */
class DataKotlinTest {
    @Test
    fun `iterator configured with a lambda delivers augmented normalised batches`() {
        val data = Datasets.fashionMnistEmbedded().test()
        val pipeline = RandomCropFlip(2, true).andThen(Normalize.FASHION_MNIST)
        ImageDataSetIterator.create(data) {
            it.batchSize(50).seed(7).dropLast(true).transform(pipeline)
        }.use { iterator ->
            var batches = 0
            while (iterator.hasNext()) {
                val batch = iterator.next()
                assertArrayEquals(longArrayOf(50, 1, 28, 28), batch.features.shape())
                assertEquals(50.0, batch.labels.sumNumber().toDouble())
                batches++
            }
            assertEquals(2000 / 50, batches)
            assertEquals(ImageDataSetIterator.Position(0, 2000), iterator.position())
        }
    }
}
