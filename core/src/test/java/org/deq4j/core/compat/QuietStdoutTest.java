package org.deq4j.core.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.deq4j.core.cell.SameDiffCell;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The filter, and a check that the ND4J behaviour it works around still exists. */
class QuietStdoutTest {

    /** Fails when ND4J stops printing the chatter: then QuietStdout and its uses can be removed. */
    @Test
    void nd4jStillPrintsAutodiffChatter() {
        String out = captureStdout(() -> {
            SameDiff sd = SameDiff.create();
            SDVariable w = sd.var("w", Nd4j.rand(DataType.DOUBLE, 2, 2));
            sd.math().tanh(w).sum().markAsLoss();
            sd.createGradFunction();
        });
        assertTrue(out.contains("Added differentiated op "), "ND4J changed: it no longer prints its autodiff"
                + " chatter, so org.deq4j.core.compat.QuietStdout is not needed any more: " + out);
    }

    @Test
    void dropsOnlyTheAutodiffChatterAndRestoresStdout() {
        String out = captureStdout(() -> QuietStdout.run(() -> {
            System.out.println("Added differentiated op tanh");
            System.out.println("kept line");
            System.out.print("Added differentiated op ");
            System.out.println("mul"); // one line written in two parts is still recognised
            System.out.print("partial");
        }));
        assertEquals("kept line" + System.lineSeparator() + "partial", out);
    }

    @Test
    void buildingASameDiffCellPrintsNothing() {
        String out = captureStdout(() -> SameDiffCell.builder()
                .state("z", 3).injection("x", 3).parameter("w", Nd4j.rand(DataType.DOUBLE, 3, 3))
                .define(g -> List.of(g.sd().math().tanh(g.z().mmul(g.param("w")).add(g.x()))))
                .build());
        assertFalse(out.contains("Added differentiated op"), out);
        assertEquals("", out);
    }

    private static String captureStdout(Runnable action) {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        try {
            action.run();
        } finally {
            System.setOut(original);
        }
        assertSame(original, System.out);
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
