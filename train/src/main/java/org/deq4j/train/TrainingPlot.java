package org.deq4j.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Draws the training curves of a {@link MetricsLog} to a PNG with plain java.awt (works with
 * {@code -Djava.awt.headless=true}; no display needed). Four panels against the step: training
 * loss (per step and a trailing mean), the metric (on training batches and per-epoch evaluation),
 * the learning rate on a log scale, and the DEQ solver diagnostics on a log scale (largest final
 * residual and drift per step, the spectral radius per epoch; "no data yet" for a model without DEQs).
 * {@link #renderComparison} draws several runs (a sweep's cells) on the first three panels.
 */
public final class TrainingPlot {

    /** Image width in pixels. */
    public static final int WIDTH = 2000;
    /** Image height in pixels. */
    public static final int HEIGHT = 480;

    private static final Color RAW = new Color(120, 160, 220);
    private static final Color MEAN = new Color(20, 60, 150);
    private static final Color EVAL = new Color(220, 100, 20);
    private static final Color GRID = new Color(225, 225, 225);
    private static final Color DRIFT = new Color(40, 150, 70);
    private static final Color RADIUS = new Color(150, 40, 150);
    /** The panels, left to right. */
    public static final int PANELS = 4;
    private static final int PANEL_WIDTH = WIDTH / PANELS;
    /** Width of {@link #renderComparison}'s image: the first three panels (the solver panel is not overlaid). */
    public static final int COMPARISON_WIDTH = 3 * PANEL_WIDTH;
    private static final int LEGEND_ROW = 20;
    /** Distinct colours for the runs of a comparison (Tableau 10). */
    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
        new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};

    private TrainingPlot() {
    }

    private record Series(String label, double[] x, double[] y, Color color, float width, boolean markers) {
    }

    /**
     * Writes the plot of {@code log} to {@code png}, replacing it atomically.
     *
     * @throws IOException if the file cannot be written
     */
    public static void write(MetricsLog log, Path png) throws IOException {
        writeAtomically(render(log), png);
    }

    private static void writeAtomically(BufferedImage image, Path png) throws IOException {
        Path dir = png.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "plot-", ".png.tmp");
        try {
            ImageIO.write(image, "png", tmp.toFile());
            Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The plot as an image of {@link #WIDTH} x {@link #HEIGHT} pixels. */
    public static BufferedImage render(MetricsLog log) {
        List<MetricRow> train = new ArrayList<>();
        List<MetricRow> eval = new ArrayList<>();
        for (MetricRow r : log.rows()) {
            (r.kind() == MetricRow.Kind.TRAIN ? train : eval).add(r);
        }
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);

            double[] steps = column(train, MetricRow::step);
            double[] loss = column(train, MetricRow::loss);
            int window = Math.max(1, Math.min(200, loss.length / 50));
            panel(g, 0, "Training loss", "loss", false, List.of(
                    new Series("per step", steps, loss, RAW, 1f, false),
                    new Series("mean of last " + window + " steps", steps, trailingMean(loss, window), MEAN, 2.5f, false)));

            List<MetricRow> measured = train.stream().filter(r -> !Double.isNaN(r.metric())).toList();
            panel(g, 1, capitalise(log.metricName()), log.metricName(), false, List.of(
                    new Series("training batch", column(measured, MetricRow::step), column(measured, MetricRow::metric),
                            RAW, 1f, false),
                    new Series("evaluation (per epoch)", column(eval, MetricRow::step), column(eval, MetricRow::metric),
                            EVAL, 2.5f, true)));

            panel(g, 2, "Learning rate", "learning rate (log scale)", true, List.of(
                    new Series("learning rate", steps, column(train, MetricRow::lr), MEAN, 2f, false)));

            panel(g, 3, "DEQ solver", "value (log scale)", true, List.of(
                    new Series("max residual", steps, column(train, r -> r.solver().residualMax()), RAW, 1f, false),
                    new Series("drift", steps, column(train, r -> r.solver().drift()), DRIFT, 1f, false),
                    new Series("spectral radius (per epoch)", column(eval, MetricRow::step),
                            column(eval, r -> r.solver().spectralRadius()), RADIUS, 2.5f, true)));
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Writes the comparison plot of several runs to {@code png}, replacing it atomically; see
     * {@link #renderComparison}.
     *
     * @throws IOException if the file cannot be written
     */
    public static void writeComparison(Map<String, MetricsLog> runs, Path png) throws IOException {
        writeAtomically(renderComparison(runs), png);
    }

    /**
     * Several runs' curves on shared axes, one colour per run (in the map's order), under a legend of the
     * runs' labels that wraps over as many rows as it needs (the image grows by them): the training loss
     * (trailing mean), the metric (trailing mean on training batches, markers at the evaluations) and the
     * learning rate. {@link #WIDTH} pixels wide, {@link #HEIGHT} plus the extra legend rows high.
     *
     * @throws IllegalArgumentException if {@code runs} is empty
     */
    public static BufferedImage renderComparison(Map<String, MetricsLog> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs to compare");
        }
        List<Series> loss = new ArrayList<>();
        List<Series> metric = new ArrayList<>();
        List<Series> lr = new ArrayList<>();
        List<Series> legend = new ArrayList<>();
        String metricName = null;
        int i = 0;
        for (Map.Entry<String, MetricsLog> run : runs.entrySet()) {
            Color c = PALETTE[i++ % PALETTE.length];
            List<MetricRow> train = new ArrayList<>();
            List<MetricRow> eval = new ArrayList<>();
            for (MetricRow r : run.getValue().rows()) {
                (r.kind() == MetricRow.Kind.TRAIN ? train : eval).add(r);
            }
            metricName = metricName == null ? run.getValue().metricName() : metricName;
            double[] steps = column(train, MetricRow::step);
            double[] l = column(train, MetricRow::loss);
            loss.add(new Series(run.getKey(), steps, trailingMean(l, Math.max(1, Math.min(200, l.length / 20))), c,
                    2f, false));
            List<MetricRow> measured = train.stream().filter(r -> !Double.isNaN(r.metric())).toList();
            double[] m = column(measured, MetricRow::metric);
            metric.add(new Series(run.getKey(), column(measured, MetricRow::step),
                    trailingMean(m, Math.max(1, Math.min(20, m.length / 10))), c, 1.5f, false));
            metric.add(new Series(run.getKey(), column(eval, MetricRow::step), column(eval, MetricRow::metric), c, 2.5f,
                    true));
            lr.add(new Series(run.getKey(), steps, column(train, MetricRow::lr), c, 2f, false));
            legend.add(new Series(run.getKey(), new double[0], new double[0], c, 2.5f, false));
        }
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int width = COMPARISON_WIDTH;
        List<List<Series>> rows = legendRows(pg, legend, width - 100);
        pg.dispose();
        int legendHeight = LEGEND_ROW * rows.size() + 10;
        BufferedImage image = new BufferedImage(width, HEIGHT + legendHeight, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int r = 0; r < rows.size(); r++) {
                int x = 80;
                for (Series s : rows.get(r)) {
                    x = legendEntry(g, s, x, 16 + r * LEGEND_ROW);
                }
            }
            panel(g, 0, "Training loss (trailing mean)", "loss", false, loss, legendHeight, image.getHeight(), false);
            panel(g, 1, capitalise(metricName) + " (training batches; markers: evaluations)", metricName, false, metric,
                    legendHeight, image.getHeight(), false);
            panel(g, 2, "Learning rate", "learning rate (log scale)", true, lr, legendHeight, image.getHeight(), false);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The legend's entries split into rows no wider than {@code width} pixels. */
    private static List<List<Series>> legendRows(Graphics2D g, List<Series> entries, int width) {
        FontMetrics fm = g.getFontMetrics();
        List<List<Series>> rows = new ArrayList<>();
        List<Series> row = new ArrayList<>();
        int used = 0;
        for (Series s : entries) {
            int w = 28 + fm.stringWidth(s.label()) + 18;
            if (!row.isEmpty() && used + w > width) {
                rows.add(row);
                row = new ArrayList<>();
                used = 0;
            }
            row.add(s);
            used += w;
        }
        rows.add(row);
        return rows;
    }

    private static void panel(Graphics2D g, int index, String title, String yLabel, boolean logY, List<Series> series) {
        panel(g, index, title, yLabel, logY, series, 0, HEIGHT, true);
    }

    /**
     * One panel in the band {@code [bandTop, bandBottom)} of the image: title, axes, series and, if
     * {@code legend}, a one-row legend above the plot box.
     */
    private static void panel(Graphics2D g, int index, String title, String yLabel, boolean logY, List<Series> series,
            int bandTop, int bandBottom, boolean legend) {
        int left = index * PANEL_WIDTH + 80;
        int right = (index + 1) * PANEL_WIDTH - 20;
        int top = bandTop + 62;
        int bottom = bandBottom - 60;
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(base.deriveFont(Font.BOLD, 15f));
        FontMetrics tm = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawString(title, (left + right - tm.stringWidth(title)) / 2, bandTop + 22);
        g.setFont(base);
        FontMetrics fm = g.getFontMetrics();

        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double y = logY ? Math.log10(s.y()[i]) : s.y()[i];
                if (Double.isFinite(y)) {
                    xMin = Math.min(xMin, s.x()[i]);
                    xMax = Math.max(xMax, s.x()[i]);
                    yMin = Math.min(yMin, y);
                    yMax = Math.max(yMax, y);
                }
            }
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        drawRotated(g, yLabel, index * PANEL_WIDTH + 18, (top + bottom) / 2);
        g.drawString("step", (left + right - fm.stringWidth("step")) / 2, bottom + 42);
        if (xMin > xMax) {
            g.drawString("no data yet", (left + right - fm.stringWidth("no data yet")) / 2, (top + bottom) / 2);
            return;
        }
        if (xMax == xMin) {
            xMin -= 1;
            xMax += 1;
        }
        double pad = yMax > yMin ? 0.05 * (yMax - yMin) : Math.max(0.5 * Math.abs(yMax), logY ? 0.5 : 1e-3);
        yMin -= pad;
        yMax += pad;

        double[] xTicks = ticks(xMin, xMax);
        double[] yTicks = logY ? logTicks(yMin, yMax) : ticks(yMin, yMax);
        for (double t : xTicks) {
            int px = px(t, xMin, xMax, left, right);
            g.setColor(GRID);
            g.drawLine(px, top + 1, px, bottom - 1);
            g.setColor(Color.BLACK);
            g.drawLine(px, bottom, px, bottom + 4);
            String label = format(t);
            g.drawString(label, px - fm.stringWidth(label) / 2, bottom + 18);
        }
        for (double t : yTicks) {
            int py = py(t, yMin, yMax, top, bottom);
            g.setColor(GRID);
            g.drawLine(left + 1, py, right - 1, py);
            g.setColor(Color.BLACK);
            g.drawLine(left - 4, py, left, py);
            String label = logY ? String.format(Locale.ROOT, "%.0e", Math.pow(10, t)) : format(t);
            g.drawString(label, left - 7 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }

        java.awt.Shape clip = g.getClip();
        g.clipRect(left + 1, top + 1, right - left - 1, bottom - top - 1);
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(new BasicStroke(s.width(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            Path2D.Double path = new Path2D.Double();
            boolean started = false;
            for (int i = 0; i < s.x().length; i++) {
                double y = logY ? Math.log10(s.y()[i]) : s.y()[i];
                if (!Double.isFinite(y)) {
                    continue;
                }
                double px = left + (s.x()[i] - xMin) / (xMax - xMin) * (right - left);
                double py = bottom - (y - yMin) / (yMax - yMin) * (bottom - top);
                if (started) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    started = true;
                }
                if (s.markers()) {
                    g.fillOval((int) Math.round(px) - 4, (int) Math.round(py) - 4, 9, 9);
                }
            }
            g.draw(path);
        }
        g.setClip(clip);
        g.setStroke(new BasicStroke(1f));

        if (legend) {
            // legend in one row between title and plot box, so it never hides data
            int x = left;
            for (Series s : series) {
                x = legendEntry(g, s, x, top - 12);
            }
        }
    }

    /** Draws the legend entry of {@code s} at ({@code x}, {@code y}); returns where the next one starts. */
    private static int legendEntry(Graphics2D g, Series s, int x, int y) {
        FontMetrics fm = g.getFontMetrics();
        g.setColor(s.color());
        g.setStroke(new BasicStroke(Math.max(2f, s.width())));
        g.drawLine(x, y, x + 22, y);
        if (s.markers()) {
            g.fillOval(x + 7, y - 4, 9, 9);
        }
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        g.drawString(s.label(), x + 28, y + fm.getAscent() / 2 - 1);
        return x + 28 + fm.stringWidth(s.label()) + 18;
    }

    private static void drawRotated(Graphics2D g, String text, int x, int y) {
        java.awt.geom.AffineTransform old = g.getTransform();
        g.rotate(-Math.PI / 2, x, y);
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
        g.setTransform(old);
    }

    private static int px(double v, double min, double max, int left, int right) {
        return (int) Math.round(left + (v - min) / (max - min) * (right - left));
    }

    private static int py(double v, double min, double max, int top, int bottom) {
        return (int) Math.round(bottom - (v - min) / (max - min) * (bottom - top));
    }

    /** About five "nice" ticks (1, 2 or 5 times a power of ten apart) inside [min, max]. */
    static double[] ticks(double min, double max) {
        double raw = (max - min) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double r = raw / magnitude;
        double step = (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * magnitude;
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(min / step) * step; t <= max + 1e-9 * step; t += step) {
            out.add(Math.abs(t) < 1e-12 * step ? 0 : t);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Integer powers of ten inside [min, max] (log10 units), or the nice ticks if there are fewer than two. */
    private static double[] logTicks(double min, double max) {
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(min); t <= max; t++) {
            out.add(t);
        }
        return out.size() >= 2 ? out.stream().mapToDouble(Double::doubleValue).toArray() : ticks(min, max);
    }

    private static String format(double v) {
        double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        if (a >= 1e5 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        if (a >= 100 && v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        String s = String.format(Locale.ROOT, "%.4f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static double[] trailingMean(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= window) {
                sum -= v[i - window];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }

    private static double[] column(List<MetricRow> rows, java.util.function.ToDoubleFunction<MetricRow> f) {
        return rows.stream().mapToDouble(f).toArray();
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).replace('_', ' ');
    }
}
