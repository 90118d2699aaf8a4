package org.deq4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluation needs only the test files: the training files are read when first asked for. */
class DataSplitsTest {

    @Test
    void aFolderWithOnlyTheTestFilesServesTheTestSplit(@TempDir Path dir) throws Exception {
        for (String f : new String[] {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            try (InputStream in = getClass().getResourceAsStream("/" + Datasets.EMBEDDED_FASHION_MNIST + f)) {
                Files.copy(in, dir.resolve(f));
            }
        }
        DataSplits splits = Datasets.fashionMnist(Optional.of(dir));
        assertEquals(2000, splits.test().size());
        DataNotFoundException e = assertThrows(DataNotFoundException.class, splits::train);
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }
}
