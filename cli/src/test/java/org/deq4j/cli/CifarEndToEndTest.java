package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.deq4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The CIFAR path end to end on real-format files ({@link CifarFixture}): {@code train --preset single-deq
 * --data DIR} for a few steps, then {@code eval} of its checkpoint, which reads only the test file.
 */
class CifarEndToEndTest {

    @Test
    void singleDeqTrainsAndEvaluatesOnCifarFormatFiles(@TempDir Path dir) throws Exception {
        Path data = CifarFixture.write(dir.resolve("cifar-10-batches-bin"), 200);
        Path out = dir.resolve("run");
        CliRun train = CliRun.of("train", "--preset", "single-deq", "--data", dir.toString(), "--batch-size", "16",
                "--max-steps", "3", "--progress", "off", "--out", out.toString());
        assertEquals(0, train.exit(), train.err());
        assertTrue(train.err().contains("10000 training, 200 test images"), train.err());
        assertEquals(3, Checkpoint.read(Checkpoint.fileIn(out)).state().step());

        for (int f = 1; f <= 5; f++) {
            Files.delete(data.resolve("data_batch_" + f + ".bin")); // evaluation needs only the test file
        }
        CliRun eval = CliRun.of("eval", "--checkpoint", out.toString(), "--data", dir.toString(), "--json");
        assertEquals(0, eval.exit(), eval.err());
        JsonNode n = new ObjectMapper().readTree(eval.out());
        assertEquals("cifar10", n.get("dataset").asText());
        assertEquals(200, n.get("images").asInt());
        double accuracy = n.get("accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
    }
}
