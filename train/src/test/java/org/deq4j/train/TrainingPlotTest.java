package org.deq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The comparison plot of several runs: one colour per run, a legend that wraps, every run drawn. */
class TrainingPlotTest {

    private static MetricsLog run(double start) {
        MetricsLog log = new MetricsLog("accuracy", "examples");
        for (int s = 1; s <= 40; s++) {
            log.add(new MetricRow(MetricRow.Kind.TRAIN, s, 0, start / s, 1e-3, s % 5 == 0 ? 0.5 + s / 100.0 : Double.NaN,
                    100, 5, 1, 1));
        }
        log.add(new MetricRow(MetricRow.Kind.EVAL, 40, 1, Double.NaN, 1e-3, 0.8, Double.NaN, Double.NaN, 1, 1));
        return log;
    }

    private static int pixels(BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void everyRunHasItsColourAndTheLegendWraps() {
        Map<String, MetricsLog> two = new LinkedHashMap<>();
        two.put("gradient=reversible", run(2));
        two.put("gradient=unrolled", run(3));
        BufferedImage img = TrainingPlot.renderComparison(two);
        assertEquals(TrainingPlot.COMPARISON_WIDTH, img.getWidth());
        int oneRow = img.getHeight();
        // Tableau blue and orange: the first two runs' colours, drawn as lines in all three panels
        assertTrue(pixels(img, 0x1F77B4) > 200, "first run drawn");
        assertTrue(pixels(img, 0xFF7F0E) > 200, "second run drawn");

        Map<String, MetricsLog> many = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            many.put("gradient=implicit, solver-steps=" + i + ", beta=0.8", run(2 + i));
        }
        assertTrue(TrainingPlot.renderComparison(many).getHeight() > oneRow, "twelve long labels need more rows");
        assertThrows(IllegalArgumentException.class, () -> TrainingPlot.renderComparison(Map.of()));
    }
}
