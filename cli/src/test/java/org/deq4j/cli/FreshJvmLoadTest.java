package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped checkpoints of both kinds load in a new JVM where nothing has registered a cell type or
 * op: the command line makes no registration call, the cells come from their ServiceLoader services.
 */
class FreshJvmLoadTest {

    private static String run(Path dir, String name, String... args) throws Exception {
        Path log = dir.resolve(name + ".log");
        Process p = ChildJvm.start(log, args);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out: " + ChildJvm.read(log));
        String out = ChildJvm.read(log);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void bothKindsOfCheckpointLoadInANewJvm(@TempDir Path dir) throws Exception {
        String vision = run(dir, "eval", "eval", "--checkpoint", Path.of("..", "zoo", "pretrained", "fashion-cpu").toString());
        assertTrue(vision.contains("test accuracy ") && vision.contains("of 2000 fashion-mnist test images"), vision);
        String lm = run(dir, "lm-eval", "lm", "eval", "--checkpoint",
                Path.of("..", "lm", "pretrained", "austen-micro").toString(), "--max-windows", "2");
        assertTrue(lm.contains("perplexity"), lm);
    }
}
