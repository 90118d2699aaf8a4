package org.deq4j.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.DeqException;
import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains a DL4J {@link ComputationGraph} (single input, single output) the way the RevDEQ paper
 * does: AdamW (put on the graph's configuration with {@link AdamW#apply} before the graph is built; the
 * trainer repairs the doubled weight decay of graphs configured through DL4J's global builder with
 * {@link AdamW#removeDuplicateRegularization}), learning rate {@code base × scale} where
 * the scale follows {@link ReduceOnPlateau} on the per-step training loss, stopping at the epoch or
 * step limit, when the scale reaches its floor, or when the wall-clock budget is used up.
 *
 * <p><b>Per step</b>: take the next batch of the {@link ResumableIterator}; seed ND4J's RNG from
 * (seed, step), so dropout-like randomness is reproducible across resumes; every
 * {@code metricEvery}-th step measure the metric on the batch (inference mode, before the update);
 * {@code graph.fit(batch)}; the loss is {@code graph.score()} minus the weight-decay term DL4J adds to
 * it (the paper's loss is the data loss); feed the loss to the plateau rule and apply a reduced rate
 * at once; log a {@link MetricRow}.
 *
 * <p><b>Per epoch</b>: evaluate the metric on the evaluation data, if given, with the epoch's solver
 * diagnostics ({@link SolverDiagnostics}: means of the training steps' residuals, steps and drift, and
 * the spectral radius at the fixed points of a small fixed evaluation batch, see
 * {@link TrainerConfig.SpectralProbe}), and write a {@link Checkpoint}. A checkpoint is also written
 * when training stops for any reason.
 *
 * <p><b>Resume</b>: {@link #resume(TrainerConfig)} restores model, updater state, step, epoch,
 * iterator position, plateau state and seed from {@code outputDir}; the run then continues
 * exactly as an uninterrupted one (parameters equal bit for bit in the tests). Limits, plateau
 * settings and reporting come from the new configuration (its metric and unit must match the run's
 * log); the base learning rate and seed from the checkpoint.
 *
 * <p>Outputs in {@code outputDir}: {@value Checkpoint#FILE_NAME}, {@value TrainerConfig#CSV_NAME}
 * (appended every step) and {@value TrainerConfig#PLOT_NAME} (redrawn at every checkpoint). Not
 * thread-safe.
 */
public final class Trainer {

    private final ComputationGraph graph;
    private final TrainerConfig config;
    private final StepStatsSource stepStats;
    private final ReduceOnPlateau plateau;
    private final MetricsLog log;
    private final double learningRate;
    private final long seed;
    private long step;
    private int epoch;
    private long trainingNanos;
    private Optional<StreamPosition> position;
    private OptionalDouble lastEvaluation = OptionalDouble.empty();
    private volatile boolean stopRequested;

    private Trainer(ComputationGraph graph, TrainerConfig config, MetricsLog log, TrainerState state) {
        this.graph = graph;
        AdamW.removeDuplicateRegularization(graph);
        this.config = config;
        this.stepStats = config.stepStats().apply(graph);
        this.log = log;
        this.plateau = new ReduceOnPlateau(config.plateau());
        this.plateau.restore(state.plateau());
        this.learningRate = state.learningRate();
        this.seed = state.seed();
        this.step = state.step();
        this.epoch = state.epoch();
        this.trainingNanos = state.trainingNanos();
        this.position = Optional.ofNullable(state.position());
        for (MetricRow r : log.rows()) {
            if (r.kind() == MetricRow.Kind.EVAL) {
                lastEvaluation = OptionalDouble.of(r.metric());
            }
        }
    }

    /**
     * A trainer for a new run of {@code graph}.
     *
     * @throws InvalidConfigException if {@code outputDir} already holds a checkpoint (resume it, or
     *                                choose another directory: a new run must not overwrite it), or if no
     *                                parameter of {@code graph} has an updater with a learning rate
     */
    public static Trainer create(ComputationGraph graph, TrainerConfig config) {
        // A model builder's architecture-only configuration has no optimiser (NoOp): training it would
        // silently change nothing, and the learning-rate schedule would have nothing to act on.
        if (AdamW.paramSettings(graph).values().stream().noneMatch(s -> s.updater() != null && s.updater().hasLearningRate())) {
            throw new InvalidConfigException("the graph has no optimiser: no parameter has an updater with a learning"
                    + " rate; build it from AdamW.apply(configuration, lr, weightDecay)");
        }
        Path existing = Checkpoint.fileIn(config.outputDir());
        if (Files.exists(existing)) {
            throw new InvalidConfigException("output directory already holds a checkpoint, " + existing
                    + "; resume it or choose another directory");
        }
        MetricsLog log = new MetricsLog(config.metric().map(Metric::name).orElse("metric"), config.unit());
        return new Trainer(graph, config, log, new TrainerState(0, 0, null, ReduceOnPlateau.State.INITIAL, config.seed(),
                config.learningRate(), 0));
    }

    /**
     * A trainer continuing the run checkpointed in {@code config.outputDir()}.
     *
     * @throws CheckpointException    naming the file if the checkpoint is missing, truncated or corrupt
     * @throws InvalidConfigException if the configured metric or throughput unit differs from the run's log,
     *         or the configured run settings differ from the checkpoint's
     */
    public static Trainer resume(TrainerConfig config) {
        Checkpoint c = Checkpoint.read(Checkpoint.fileIn(config.outputDir()));
        if (!c.settings().equals(config.runSettings())) {
            throw new InvalidConfigException("the run in " + config.outputDir() + " was started with settings "
                    + c.settings() + "; the configuration has " + config.runSettings());
        }
        String metric = config.metric().map(Metric::name).orElse(c.metrics().metricName());
        if (!metric.equals(c.metrics().metricName()) || !config.unit().equals(c.metrics().unit())) {
            throw new InvalidConfigException("the run in " + config.outputDir() + " logs metric '"
                    + c.metrics().metricName() + "' and unit '" + c.metrics().unit() + "'; the configuration asks for '"
                    + metric + "' and '" + config.unit() + "'");
        }
        return new Trainer(c.graph(), config, c.metrics(), c.state());
    }

    /** The model being trained (after {@link #resume}, the one restored from the checkpoint). */
    public ComputationGraph graph() {
        return graph;
    }

    /** Steps completed so far. */
    public long step() {
        return step;
    }

    /** The rows logged so far (an unmodifiable view). */
    public MetricsLog metrics() {
        return log;
    }

    /**
     * Asks a running {@link #fit} to stop: it finishes the step in progress, writes a checkpoint and returns
     * {@link StopReason#STOP_REQUESTED}. Safe to call from any thread (a signal handler, a listener);
     * a call before {@code fit} stops it before its first step.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Trains without evaluation data; see {@link #fit(ResumableIterator, DataSetIterator)}. */
    public TrainingResult fit(ResumableIterator train) {
        return run(train, Optional.empty());
    }

    /**
     * Trains until a stop condition holds, evaluating the metric on {@code eval} after each epoch.
     *
     * @throws InvalidConfigException if evaluation data is given but no metric is configured
     * @throws CheckpointException    if a checkpoint cannot be written (the previous one is kept)
     * @throws DeqException           if the training loss becomes NaN or infinite
     */
    public TrainingResult fit(ResumableIterator train, DataSetIterator eval) {
        return run(train, Optional.of(eval));
    }

    private TrainingResult run(ResumableIterator train, Optional<DataSetIterator> eval) {
        if (eval.isPresent() && config.metric().isEmpty()) {
            throw new InvalidConfigException("evaluation data given but no metric configured (e.g. Accuracy.INSTANCE)");
        }
        position.ifPresent(train::seekStream);
        position = Optional.of(train.streamPosition());
        ProgressReporter progress = new ProgressReporter(config, log.metricName());
        AdamW.setLearningRate(graph, learningRate * plateau.scale());
        graph.getConfiguration().setEpochCount(epoch);
        long sessionStart = System.nanoTime();
        long checkpointedStep = -1;
        long lastCheckpointNanos = sessionStart;
        long lastCheckpointStep = step;
        Path checkpointFile = Checkpoint.fileIn(config.outputDir());
        StopReason reason;
        try (BufferedWriter csv = openCsv()) {
            while (true) {
                if (step >= config.maxSteps()) {
                    reason = StopReason.STEP_LIMIT;
                    break;
                }
                if (!train.hasNext()) {
                    train.reset();
                    epoch++;
                    graph.getConfiguration().setEpochCount(epoch);
                    position = Optional.of(train.streamPosition());
                    evaluate(eval, progress, csv);
                    checkpoint(csv);
                    checkpointedStep = step;
                    lastCheckpointStep = step;
                    lastCheckpointNanos = System.nanoTime();
                    if (epoch >= config.maxEpochs()) {
                        reason = StopReason.EPOCHS_DONE;
                        break;
                    }
                    continue;
                }
                if (stopRequested) {
                    stopRequested = false;
                    reason = StopReason.STOP_REQUESTED;
                    break;
                }
                if (config.timeBudget().isPresent()
                        && System.nanoTime() - sessionStart >= config.timeBudget().get().toNanos()) {
                    reason = StopReason.TIME_BUDGET;
                    break;
                }
                MetricRow row = trainStep(train);
                csv.write(MetricsLog.csvLine(row));
                csv.write('\n');
                if (progress.step(row, position.get(), train.itemsPerEpoch(), MemoryUsage.sample())) {
                    csv.flush();
                }
                if (plateau.exhausted()) {
                    reason = StopReason.LEARNING_RATE_FLOOR;
                    break;
                }
                if (config.checkpointEvery().isPresent() && config.checkpointEvery().get().due(step - lastCheckpointStep,
                        Duration.ofNanos(System.nanoTime() - lastCheckpointNanos))) {
                    checkpoint(csv);
                    checkpointedStep = step;
                    lastCheckpointStep = step;
                    lastCheckpointNanos = System.nanoTime();
                }
            }
            if (checkpointedStep != step) {
                checkpoint(csv);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + config.outputDir().resolve(TrainerConfig.CSV_NAME) + " failed", e);
        }
        double lr = learningRate * plateau.scale();
        progress.message(String.format(Locale.ROOT, "stopped (%s) after %d steps, %d epochs; lr %.3e; checkpoint %s",
                reason, step, epoch, lr, checkpointFile));
        return new TrainingResult(reason, step, epoch, lr, lastEvaluation, checkpointFile);
    }

    private MetricRow trainStep(ResumableIterator train) {
        long start = System.nanoTime();
        DataSet batch = train.next();
        Nd4j.getRandom().setSeed(stepSeed(seed, step));
        double metricValue = Double.NaN;
        if (config.metric().isPresent() && step % config.metricEvery() == 0) {
            Metric.Accumulator acc = config.metric().get().start();
            acc.add(Evaluator.output(graph, batch), batch);
            metricValue = acc.value();
        }
        double lr = learningRate * plateau.scale();
        double regularization = graph.calcRegularizationScore(true);
        graph.fit(batch);
        double loss = graph.score() - regularization;
        if (!Double.isFinite(loss)) {
            throw new DeqException("training diverged: loss " + loss + " at step " + (step + 1) + "; the checkpoint "
                    + Checkpoint.fileIn(config.outputDir()) + " holds the last good state; lower the learning rate");
        }
        step++;
        position = Optional.of(train.streamPosition());
        if (plateau.observe(loss)) {
            AdamW.setLearningRate(graph, learningRate * plateau.scale());
        }
        long nanos = System.nanoTime() - start;
        trainingNanos += nanos;
        double throughput = config.itemsPerBatch().applyAsLong(batch) / (nanos * 1e-9);
        double evals = stepStats.cellEvaluationsLastStep().orElse(Double.NaN);
        double jacPenalty = stepStats.jacobianPenaltyLastStep().orElse(Double.NaN);
        MemoryUsage memory = MemoryUsage.sample();
        MetricRow row = new MetricRow(MetricRow.Kind.TRAIN, step, epoch, loss, lr, metricValue, throughput, evals,
                memory.heap(), memory.rss(), SolverDiagnostics.of(stepStats.lastStep()), jacPenalty);
        log.add(row);
        return row;
    }

    private void evaluate(Optional<DataSetIterator> eval, ProgressReporter progress, BufferedWriter csv) throws IOException {
        if (eval.isEmpty()) {
            progress.message(String.format(Locale.ROOT, "epoch %d done (step %d)", epoch, step));
            return;
        }
        Metric metric = config.metric().orElseThrow();
        // ρ comes from the evaluation's own first solve: a separate probe pass at another batch size made the
        // DEQ's loops retrace twice per epoch and grew the resident memory by about 120 MB per epoch
        double[] value = {Double.NaN};
        boolean[] evaluated = {false};
        Runnable evaluation = () -> {
            value[0] = Evaluator.evaluate(graph, eval.get(), metric);
            evaluated[0] = true;
        };
        TrainerConfig.SpectralProbe probe = config.spectralProbe();
        OptionalDouble rho = probe.samples() == 0 ? OptionalDouble.empty()
                : stepStats.spectralRadius(evaluation, probe.samples(), probe.iterations());
        if (!evaluated[0]) {
            evaluation.run();
        }
        lastEvaluation = OptionalDouble.of(value[0]);
        SolverDiagnostics solver = SolverDiagnostics.epoch(epochTrainRows(), rho);
        MemoryUsage memory = MemoryUsage.sample();
        MetricRow row = new MetricRow(MetricRow.Kind.EVAL, step, epoch, Double.NaN, learningRate * plateau.scale(), value[0],
                Double.NaN, Double.NaN, memory.heap(), memory.rss(), solver, meanJacobianPenalty(epochTrainRows()));
        log.add(row);
        csv.write(MetricsLog.csvLine(row));
        csv.write('\n');
        progress.message(String.format(Locale.ROOT, "epoch %d done (step %d): evaluation %s %.4f", epoch, step,
                metric.name(), value[0]));
    }

    /** The epoch's mean Jacobian penalty over the steps that applied one; NaN if none did. */
    private static double meanJacobianPenalty(List<MetricRow> rows) {
        return rows.stream().mapToDouble(MetricRow::jacPenalty).filter(v -> !Double.isNaN(v)).average()
                .orElse(Double.NaN);
    }

    /** The training rows of the epoch that just ended (their epoch is the count of epochs before it). */

    private List<MetricRow> epochTrainRows() {
        return log.rows().stream().filter(r -> r.kind() == MetricRow.Kind.TRAIN && r.epoch() == epoch - 1).toList();
    }

    /**
     * ρ(∂f/∂z) at the fixed points of the probe: the first examples of {@code eval}'s first batch, the same
     * every epoch. Parameters, updater state and the step seeds are untouched, so a resumed run stays
     * identical to an uninterrupted one.
     */
    private void checkpoint(BufferedWriter csv) throws IOException {
        csv.flush();
        TrainerState state = new TrainerState(step, epoch, position.orElseThrow(), plateau.state(), seed, learningRate,
                trainingNanos);
        new Checkpoint(graph, state, log, config.runSettings()).write(config.outputDir());
        if (config.plot()) {
            TrainingPlot.write(log, config.outputDir().resolve(TrainerConfig.PLOT_NAME));
        }
    }

    /** Rewrites the CSV from the in-memory log (dropping rows a crashed session wrote after the checkpoint). */
    private BufferedWriter openCsv() throws IOException {
        Files.createDirectories(config.outputDir());
        BufferedWriter w = Files.newBufferedWriter(config.outputDir().resolve(TrainerConfig.CSV_NAME), StandardCharsets.UTF_8);
        log.writeCsv(w);
        return w;
    }

    /** SplitMix64 finaliser of (seed, step): distinct, well-mixed seeds for consecutive steps. */
    static long stepSeed(long seed, long step) {
        long z = seed + (step + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
