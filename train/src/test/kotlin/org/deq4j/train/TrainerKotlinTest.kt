package org.deq4j.train

import java.nio.file.Path
import java.util.OptionalDouble
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** The trainer's public API from Kotlin: lambda configuration, SAM step statistics, resume. */
class TrainerKotlinTest {
    @Test
    fun trainsAndResumesFromKotlin(@TempDir dir: Path) {
        val config = { steps: Long ->
            TrainerConfig.create(dir) {
                it.maxSteps(steps).learningRate(1e-2).metric(Accuracy.INSTANCE).plot(false)
                    .stepStats { StepStatsSource { OptionalDouble.of(3.0) } }
                    .progress(System.out, ProgressMode.OFF)
            }
        }
        val first = Trainer.create(TinyModels.mlp(4, 8, 3, 1e-2, 0.0, 1), config(2)).fit(Blobs.iterator(32, 4, 3, 16, 1, 1))
        assertEquals(StopReason.STEP_LIMIT, first.reason())
        val resumed = Trainer.resume(config(5))
        val result = resumed.fit(Blobs.iterator(32, 4, 3, 16, 1, 1), Blobs.iterator(32, 4, 3, 16, 1, 2))
        assertEquals(5L, result.steps())
        assertEquals(2, result.epochs())
        assertTrue(result.lastEvaluation().isPresent)
        assertEquals(3.0, resumed.metrics().rows().first().cellEvals())
    }
}
