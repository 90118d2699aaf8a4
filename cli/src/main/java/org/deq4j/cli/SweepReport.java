package org.deq4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

import org.deq4j.train.MetricsLog;
import org.deq4j.train.TrainingPlot;

/**
 * The results of a sweep, one row per cell, written into the sweep's folder as {@value #CSV} (full precision,
 * for scripts), {@value #MARKDOWN} (rounded, for reading) and {@value #PLOT} (every cell's training curves on
 * shared axes). Rewritten after every cell, so a long sweep's results can be read while it runs.
 */
final class SweepReport {
    static final String CSV = "results.csv";
    static final String MARKDOWN = "results.md";
    static final String PLOT = "results.png";

    private SweepReport() {
    }

    /**
     * Writes the three files into {@code dir}.
     *
     * @throws UncheckedIOException if one cannot be written
     */
    static void write(Path dir, SweepFile sweep, List<SweepResult> results) {
        String unit = results.stream().flatMap(r -> r.log().stream()).map(MetricsLog::unit).findFirst()
                .orElse("items");
        List<String> header = new ArrayList<>(List.of("cell"));
        header.addAll(sweep.axes().keySet());
        header.addAll(List.of("status", "steps", "epochs", "final_loss", sweep.target().evaluationName(),
                "cell_evals_per_step", "train_seconds", unit + "_per_second", "folder"));
        StringBuilder csv = new StringBuilder(String.join(",", header)).append('\n');
        for (SweepResult r : results) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(r.cell().index())));
            row.addAll(r.cell().point().values());
            row.addAll(List.of(r.status().id(), text(r.steps()), text(r.epochs()), text(r.finalLoss()),
                    text(r.evaluation()), text(r.cellEvalsPerStep()), text(r.trainSeconds()), text(r.throughput()),
                    r.cell().folder()));
            csv.append(row.stream().map(SweepReport::csvCell).collect(Collectors.joining(","))).append('\n');
        }
        replace(dir.resolve(CSV), csv.toString());
        replace(dir.resolve(MARKDOWN), markdown(sweep, results, unit));
        Map<String, MetricsLog> curves = new LinkedHashMap<>();
        for (SweepResult r : results) {
            r.log().filter(l -> !l.rows().isEmpty()).ifPresent(l -> curves.put(r.cell().label(), l));
        }
        if (!curves.isEmpty()) {
            try {
                TrainingPlot.writeComparison(curves, dir.resolve(PLOT));
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + dir.resolve(PLOT) + " failed", e);
            }
        }
    }

    private static String markdown(SweepFile sweep, List<SweepResult> results, String unit) {
        StringBuilder md = new StringBuilder();
        md.append("# Sweep ").append(sweep.path().getFileName()).append("\n\n");
        md.append("`deq4j ").append(sweep.target().id()).append("`, ").append(results.size()).append(" cells: ")
                .append(sweep.describeAxes()).append(". Shared options: ")
                .append(sweep.base().isEmpty() ? "none" : sweep.base().entrySet().stream()
                        .map(e -> "`" + e.getKey() + ": " + e.getValue() + "`").collect(Collectors.joining(", ")))
                .append(".\n\n");
        List<String> header = new ArrayList<>(List.of("#"));
        header.addAll(sweep.axes().keySet());
        header.addAll(List.of("status", "steps", "epochs", "final loss", sweep.target().evaluationName().replace('_', ' '),
                "cell evals/step", "train s", unit + "/s"));
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        md.append(" --- |".repeat(header.size())).append('\n');
        boolean perplexity = sweep.target() == SweepTarget.LM_TRAIN;
        for (SweepResult r : results) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(r.cell().index())));
            row.addAll(r.cell().point().values());
            row.addAll(List.of(r.status().id(), text(r.steps()), text(r.epochs()), format(r.finalLoss(), "%.4f"),
                    format(r.evaluation(), perplexity ? "%.3f" : "%.4f"), format(r.cellEvalsPerStep(), "%.1f"),
                    format(r.trainSeconds(), "%.0f"), format(r.throughput(), "%.0f")));
            md.append("| ").append(row.stream().map(c -> c.replace("|", "\\|")).collect(Collectors.joining(" | ")))
                    .append(" |\n");
        }
        md.append("\nfinal loss: mean training loss of the last ").append(SweepResult.LOSS_WINDOW)
                .append(" steps; ").append(sweep.target().evaluationName().replace('_', ' '))
                .append(": the run's final evaluation (empty until there is one); train s: training time over all")
                .append(" sessions; cell evals/step and ").append(unit).append("/s: means over the steps.\n\n")
                .append("![training curves of every cell](").append(PLOT).append(")\n");
        return md.toString();
    }

    private static String text(OptionalDouble v) {
        return v.isPresent() ? Double.toString(v.getAsDouble()) : "";
    }

    private static String text(OptionalLong v) {
        return v.isPresent() ? Long.toString(v.getAsLong()) : "";
    }

    private static String text(OptionalInt v) {
        return v.isPresent() ? Integer.toString(v.getAsInt()) : "";
    }

    private static String format(OptionalDouble v, String pattern) {
        return v.isPresent() ? String.format(Locale.ROOT, pattern, v.getAsDouble()) : "";
    }

    /** RFC 4180 quoting where a cell needs it (axis values such as {@code plateau:window=50,patience=4}). */
    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Writes {@code text} to {@code file} atomically, so a reader never sees half a table. */
    private static void replace(Path file, String text) {
        try {
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + " failed", e);
        }
    }
}
