package org.deq4j.cli.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import javax.imageio.ImageIO;

import org.deq4j.cli.bench.MemoryBenchmark.Method;
import org.deq4j.cli.bench.MemoryBenchmark.Result;

/**
 * The {@code bench memory} chart: two panels, peak memory (MiB) and time per training step (s)
 * against the step budget (log2 axis), one line per method. Drawn with java.awt, headless.
 */
public final class MemoryChart {
    /** Image width in pixels. */
    public static final int WIDTH = 1200;
    /** Image height in pixels. */
    public static final int HEIGHT = 520;
    private static final double MIB = 1024.0 * 1024.0;
    private static final Color[] COLORS = {new Color(20, 90, 200), new Color(220, 90, 20), new Color(30, 150, 60),
        new Color(170, 30, 150)};
    private static final Color GRID = new Color(225, 225, 225);

    private MemoryChart() {
    }

    /** Writes the chart as a PNG, creating parent directories. */
    public static void write(List<Result> results, String subtitle, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        System.setProperty("java.awt.headless", "true");
        if (!ImageIO.write(render(results, subtitle), "png", png.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    /** The chart as an image of {@link #WIDTH} x {@link #HEIGHT} pixels; skipped rows are left out. */
    public static BufferedImage render(List<Result> results, String subtitle) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            // one line, or two split at the comma nearest the middle when it does not fit
            int cut = subtitle.length();
            if (fm.stringWidth(subtitle) > WIDTH - 20) {
                int best = -1;
                for (int i = subtitle.indexOf(", "); i >= 0; i = subtitle.indexOf(", ", i + 1)) {
                    if (best < 0 || Math.abs(i - subtitle.length() / 2) < Math.abs(best - subtitle.length() / 2)) {
                        best = i;
                    }
                }
                cut = best < 0 ? cut : best + 1;
            }
            String first = subtitle.substring(0, cut).trim();
            String second = subtitle.substring(cut).trim();
            g.drawString(first, (WIDTH - fm.stringWidth(first)) / 2, HEIGHT - (second.isEmpty() ? 12 : 28));
            if (!second.isEmpty()) {
                g.drawString(second, (WIDTH - fm.stringWidth(second)) / 2, HEIGHT - 12);
            }
            List<Result> measured = results.stream().filter(Result::measured).toList();
            panel(g, 0, "Peak memory of one training step", "peak MiB (above baseline)", measured,
                    r -> r.peakBytes() / MIB);
            panel(g, 1, "Time of one training step", "seconds (median)", measured, r -> r.medianMillis() / 1000);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void panel(Graphics2D g, int index, String title, String yLabel, List<Result> results,
            ToDoubleFunction<Result> value) {
        int panelWidth = WIDTH / 2;
        int left = index * panelWidth + 80;
        int right = (index + 1) * panelWidth - 30;
        int top = 50;
        int bottom = HEIGHT - 120;
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(base.deriveFont(Font.BOLD, 15f));
        g.setColor(Color.BLACK);
        FontMetrics tm = g.getFontMetrics();
        g.drawString(title, (left + right - tm.stringWidth(title)) / 2, 28);
        g.setFont(base);
        FontMetrics fm = g.getFontMetrics();

        double xMin = results.stream().mapToDouble(r -> log2(r.steps())).min().orElse(0);
        double xMax = Math.max(xMin + 1, results.stream().mapToDouble(r -> log2(r.steps())).max().orElse(1));
        double yMax = results.stream().mapToDouble(value).max().orElse(1) * 1.08;
        if (!(yMax > 0)) {
            yMax = 1;
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + bottom + fm.stringWidth(yLabel)) / 2, index * panelWidth + 20);
        g.setTransform(saved);
        for (double t : ticks(yMax)) {
            int y = py(t, yMax, top, bottom);
            g.setColor(GRID);
            g.drawLine(left + 1, y, right - 1, y);
            g.setColor(Color.BLACK);
            String label = format(t);
            g.drawString(label, left - 6 - fm.stringWidth(label), y + 4);
        }
        results.stream().mapToInt(Result::steps).distinct().sorted().forEach(steps -> {
            int x = px(log2(steps), xMin, xMax, left, right);
            g.setColor(GRID);
            g.drawLine(x, top + 1, x, bottom - 1);
            g.setColor(Color.BLACK);
            String label = Integer.toString(steps);
            g.drawString(label, x - fm.stringWidth(label) / 2, bottom + 16);
        });
        String xLabel = "solver steps (log scale)";
        g.drawString(xLabel, (left + right - fm.stringWidth(xLabel)) / 2, bottom + 34);

        int legendY = bottom + 56;
        int legendX = left;
        for (Method m : Method.values()) {
            List<Result> mine = results.stream().filter(r -> r.method() == m).toList();
            if (mine.isEmpty()) {
                continue;
            }
            Color c = COLORS[m.ordinal() % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(m.reversible() ? 2.5f : 2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND,
                    10f, m.reversible() ? null : new float[] {7f, 5f}, 0f));
            int px = -1;
            int py = -1;
            for (Result r : mine) {
                int x = px(log2(r.steps()), xMin, xMax, left, right);
                int y = py(value.applyAsDouble(r), yMax, top, bottom);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 4, y - 4, 8, 8);
                px = x;
                py = y;
            }
            g.drawLine(legendX, legendY - 4, legendX + 28, legendY - 4);
            g.setStroke(new BasicStroke(1f));
            g.setColor(Color.BLACK);
            g.drawString(m.label(), legendX + 34, legendY);
            legendX += 40 + fm.stringWidth(m.label()) + 20;
            if (legendX > right - 150) {
                legendX = left;
                legendY += 18;
            }
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static double log2(int v) {
        return Math.log(v) / Math.log(2);
    }

    private static int px(double v, double min, double max, int left, int right) {
        return (int) Math.round(left + 20 + (v - min) / (max - min) * (right - left - 40));
    }

    private static int py(double v, double max, int top, int bottom) {
        return (int) Math.round(bottom - v / max * (bottom - top));
    }

    /** About five round ticks from 0 to max. */
    private static double[] ticks(double max) {
        double raw = max / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
        int n = (int) Math.floor(max / step);
        double[] t = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            t[i] = i * step;
        }
        return t;
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.2g", v);
    }
}
