package org.deq4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.deq4j.train.Checkpoint;
import org.deq4j.train.MetricRow;
import org.deq4j.train.MetricsLog;
import org.deq4j.train.StopReason;
import org.deq4j.train.TrainerConfig;
import org.deq4j.train.TrainerState;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * What a sweep cell's folder says about its run: whether it is done, can be resumed or has not started, and
 * the numbers of the sweep's results table. Read from the files the training command writes (checkpoint
 * state, {@code metrics.csv}, its results file), without loading the model.
 *
 * @param cell             the cell
 * @param status           where the cell's run stands
 * @param state            the checkpoint's trainer state (steps, epochs, training time), if there is a checkpoint
 * @param log              the run's metrics log, if it has one
 * @param evaluation       the final evaluation from the results file ({@link SweepTarget#evaluation})
 */
record SweepResult(SweepCell cell, Status status, Optional<TrainerState> state, Optional<MetricsLog> log,
        OptionalDouble evaluation) {

    /** Training steps averaged for {@link #finalLoss}. */
    static final int LOSS_WINDOW = 50;

    /** Where a cell's run stands. */
    enum Status {
        /** Ended by its own limits (epochs, steps, time budget, learning-rate floor). */
        DONE,
        /** Stopped on request (Ctrl-C, SIGTERM) with a checkpoint; the next sweep resumes it. */
        STOPPED,
        /** Killed or failed after a checkpoint, before it ended; the next sweep resumes it. */
        INTERRUPTED,
        /** Its command failed in this sweep before writing a checkpoint; the next sweep starts it again. */
        FAILED,
        /** Not started. */
        PENDING;

        /** Whether the next sweep continues this run from its checkpoint. */
        boolean resumable() {
            return this == STOPPED || this == INTERRUPTED;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Inspects the cell's folder {@code dir}.
     *
     * @param failed whether the cell's command failed in this sweep
     * @throws UncheckedIOException if a file exists but cannot be read
     */
    static SweepResult inspect(SweepCell cell, Path dir, SweepTarget target, boolean failed) {
        Path checkpoint = Checkpoint.fileIn(dir);
        Optional<TrainerState> state = Files.exists(checkpoint) ? Optional.of(Checkpoint.readState(checkpoint))
                : Optional.empty();
        Optional<MetricsLog> log = readLog(dir.resolve(TrainerConfig.CSV_NAME));
        Path resultsFile = dir.resolve(target.resultsName());
        Optional<JsonNode> results = Optional.empty();
        if (Files.exists(resultsFile)) {
            try {
                results = Optional.of(new ObjectMapper().readTree(resultsFile.toFile()));
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + resultsFile + " failed", e);
            }
        }
        Status status;
        if (state.isEmpty()) {
            status = failed ? Status.FAILED : Status.PENDING;
        } else if (results.isEmpty() || failed) {
            status = Status.INTERRUPTED;
        } else if (StopReason.STOP_REQUESTED.name().equals(results.get().path("stopReason").asText())) {
            status = Status.STOPPED;
        } else {
            status = Status.DONE;
        }
        OptionalDouble evaluation = status == Status.DONE ? target.evaluation(results.get()) : OptionalDouble.empty();
        return new SweepResult(cell, status, state, log, evaluation);
    }

    private static Optional<MetricsLog> readLog(Path csv) {
        if (!Files.exists(csv)) {
            return Optional.empty();
        }
        try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            return Optional.of(MetricsLog.readCsv(in));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + csv + " failed", e);
        }
    }

    private List<MetricRow> trainRows() {
        return log.map(l -> l.rows().stream().filter(r -> r.kind() == MetricRow.Kind.TRAIN).toList()).orElse(List.of());
    }

    /** Steps trained, from the checkpoint. */
    OptionalLong steps() {
        return state.map(s -> OptionalLong.of(s.step())).orElse(OptionalLong.empty());
    }

    /** Epochs completed, from the checkpoint. */
    OptionalInt epochs() {
        return state.map(s -> OptionalInt.of(s.epoch())).orElse(OptionalInt.empty());
    }

    /** Training wall-clock seconds over all sessions, from the checkpoint. */
    OptionalDouble trainSeconds() {
        return state.map(s -> OptionalDouble.of(s.trainingNanos() / 1e9)).orElse(OptionalDouble.empty());
    }

    /** Mean training loss of the last {@value #LOSS_WINDOW} steps. */
    OptionalDouble finalLoss() {
        List<MetricRow> rows = trainRows();
        return rows.subList(Math.max(0, rows.size() - LOSS_WINDOW), rows.size()).stream()
                .mapToDouble(MetricRow::loss).filter(Double::isFinite).average();
    }

    /** Mean cell evaluations per training step. */
    OptionalDouble cellEvalsPerStep() {
        return trainRows().stream().mapToDouble(MetricRow::cellEvals).filter(Double::isFinite).average();
    }

    /** Mean training throughput (the log's unit per second). */
    OptionalDouble throughput() {
        return trainRows().stream().mapToDouble(MetricRow::throughput).filter(Double::isFinite).average();
    }
}
