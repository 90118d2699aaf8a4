package org.deq4j.core.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class QuietStdoutTest {

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
