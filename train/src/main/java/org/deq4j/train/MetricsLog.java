package org.deq4j.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.deq4j.core.DeqException;

/**
 * The rows of a training run and their CSV form.
 *
 * <p>CSV columns: {@code kind,step,epoch,loss,lr,<metric>,<unit>_per_s,cell_evals_per_step,heap_mb,rss_mb,}
 * {@code residual_mean,residual_max,steps_mean,drift,spectral_radius,jac_penalty} (five {@link SolverDiagnostics}
 * columns, then the Jacobian-regularisation term), e.g. {@code accuracy} and {@code examples_per_s}; kind is
 * {@code train} or {@code eval}; unknown values are empty. Logs written before the solver and penalty
 * columns existed (ten columns) still read, those columns unknown; they are written back with all sixteen.
 * Doubles are written with {@link Double#toString} precision so the log a
 * checkpoint carries reads back unchanged; memory is in MiB with three decimals (read back to within
 * a KiB). Not thread-safe.
 */
public final class MetricsLog {
    private static final String SOLVER_COLUMNS = "residual_mean,residual_max,steps_mean,drift,spectral_radius";
    private static final int OLD_COLUMNS = 10;
    private static final int COLUMNS = 16;

    private final String metricName;
    private final String unit;
    private final List<MetricRow> rows = new ArrayList<>();

    /**
     * @param metricName column name of the metric (e.g. {@code accuracy})
     * @param unit       throughput unit (e.g. {@code examples}, {@code tokens})
     */
    public MetricsLog(String metricName, String unit) {
        this.metricName = metricName;
        this.unit = unit;
    }

    /** The CSV header line (without line break). */
    public String header() {
        return "kind,step,epoch,loss,lr," + metricName + "," + unit + "_per_s,cell_evals_per_step,heap_mb,rss_mb,"
                + SOLVER_COLUMNS + ",jac_penalty";
    }

    /** Name of the metric column. */
    public String metricName() {
        return metricName;
    }

    /** The throughput unit. */
    public String unit() {
        return unit;
    }

    /** Adds a row. */
    public void add(MetricRow row) {
        rows.add(row);
    }

    /** All rows, oldest first (an unmodifiable view). */
    public List<MetricRow> rows() {
        return Collections.unmodifiableList(rows);
    }

    /** Writes the header and every row. */
    public void writeCsv(Writer out) throws IOException {
        out.write(header());
        out.write('\n');
        for (MetricRow r : rows) {
            out.write(csvLine(r));
            out.write('\n');
        }
    }

    /** One row as a CSV line (without line break). */
    public static String csvLine(MetricRow r) {
        return String.join(",", r.kind().name().toLowerCase(Locale.ROOT), Long.toString(r.step()),
                Integer.toString(r.epoch()), cell(r.loss()), cell(r.lr()), cell(r.metric()), cell(r.throughput()),
                cell(r.cellEvals()), mebibytes(r.heapBytes()), mebibytes(r.rssBytes()), cell(r.solver().residualMean()),
                cell(r.solver().residualMax()), cell(r.solver().stepsMean()), cell(r.solver().drift()),
                cell(r.solver().spectralRadius()), cell(r.jacPenalty()));
    }

    /**
     * Reads a log written by {@link #writeCsv}; the metric name and unit come from its header.
     *
     * @throws DeqException if the header or a row is malformed (the message gives the line number)
     */
    public static MetricsLog readCsv(BufferedReader in) throws IOException {
        String header = in.readLine();
        String[] h = header == null ? new String[0] : header.split(",", -1);
        boolean old = h.length == OLD_COLUMNS;
        if (!old && !(h.length == COLUMNS && header.endsWith("," + SOLVER_COLUMNS + ",jac_penalty"))
                || !h[0].equals("kind") || !h[6].endsWith("_per_s")) {
            throw new DeqException("metrics CSV has an unexpected header: " + header);
        }
        int columns = h.length;
        MetricsLog log = new MetricsLog(h[5], h[6].substring(0, h[6].length() - "_per_s".length()));
        String line;
        int number = 1;
        while ((line = in.readLine()) != null) {
            number++;
            String[] c = line.split(",", -1);
            try {
                if (c.length != columns) {
                    throw new IllegalArgumentException(c.length + " cells instead of " + columns);
                }
                SolverDiagnostics solver = old ? SolverDiagnostics.NONE : new SolverDiagnostics(parse(c[10]),
                        parse(c[11]), parse(c[12]), parse(c[13]), parse(c[14]));
                log.add(new MetricRow(MetricRow.Kind.valueOf(c[0].toUpperCase(Locale.ROOT)), Long.parseLong(c[1]),
                        Integer.parseInt(c[2]), parse(c[3]), parse(c[4]), parse(c[5]), parse(c[6]), parse(c[7]),
                        bytes(c[8]), bytes(c[9]), solver, old ? Double.NaN : parse(c[15])));
            } catch (IllegalArgumentException e) {
                throw new DeqException("metrics CSV line " + number + " is malformed (" + e.getMessage() + "): " + line);
            }
        }
        return log;
    }

    private static String cell(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static double parse(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    // Memory is logged in MiB with 3 decimals (1 KiB resolution), enough for curves and exact on read-back to the KiB.
    private static String mebibytes(long bytes) {
        return bytes < 0 ? "" : String.format(Locale.ROOT, "%.3f", bytes / 1048576.0);
    }

    private static long bytes(String s) {
        return s.isEmpty() ? -1 : Math.round(Double.parseDouble(s) * 1048576.0);
    }
}
