package org.deq4j.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Settings of a {@link Trainer}. Build with {@link #builder(Path)} or, from Kotlin,
 * {@code TrainerConfig.create(dir) { it.maxEpochs(10) }}.
 *
 * @param outputDir        where the checkpoint, {@code metrics.csv} and {@code training.png} go
 * @param learningRate     base learning rate (default 3e-4); the rate used is this times the plateau scale
 * @param plateau          the learning-rate rule (default {@link ReduceOnPlateau.Settings#PAPER})
 * @param maxEpochs        epochs to train (default 100)
 * @param maxSteps         total steps to train, counted over resumed sessions (default unlimited)
 * @param timeBudget       wall-clock budget of one {@link Trainer#fit} call; when used up the trainer
 *                         checkpoints and returns {@link StopReason#TIME_BUDGET}
 * @param seed             base of the per-step ND4J random seeds (default 0)
 * @param metric           metric for training batches and evaluation (default none; {@link Accuracy} for classifiers)
 * @param metricEvery      the metric is computed on every n-th training batch, at the cost of one extra
 *                         inference forward pass (default 10)
 * @param stepStats        the source of per-step cell-evaluation counts and solver diagnostics for the graph
 *                         being trained (the created or the resumed one); default {@link StepStatsSource#NONE}
 * @param spectralProbe    the spectral radius at the end of each epoch: the number of samples of the first
 *                         evaluation batch it is estimated on and the power iterations; default
 *                         {@link SpectralProbe#DEFAULT}
 * @param unit             throughput unit (default {@code examples})
 * @param itemsPerBatch    items of {@code unit} in a batch (default {@code DataSet::numExamples}; language
 *                         models count tokens)
 * @param progress         console stream (default {@code System.out})
 * @param progressMode     console style (default {@link ProgressMode#AUTO})
 * @param progressInterval period of plain progress lines (default 30 s)
 * @param plot             whether to draw {@code training.png} at every checkpoint (default true)
 * @param checkpointEvery  checkpoints between the per-epoch ones (default none)
 * @param runSettings      what the run was started with, stored in every checkpoint for the program that
 *                         resumes or evaluates it (default empty); a resumed run must be given the same
 */
public record TrainerConfig(Path outputDir, double learningRate, ReduceOnPlateau.Settings plateau, int maxEpochs,
        long maxSteps, Optional<Duration> timeBudget, long seed, Optional<Metric> metric, int metricEvery,
        Function<ComputationGraph, StepStatsSource> stepStats, SpectralProbe spectralProbe, String unit, ToLongFunction<DataSet> itemsPerBatch, PrintStream progress,
        ProgressMode progressMode, Duration progressInterval, boolean plot, Optional<CheckpointInterval> checkpointEvery,
        Map<String, String> runSettings) {

    /** File name of the metrics log in the output directory. */
    public static final String CSV_NAME = "metrics.csv";
    /** File name of the training-curve plot in the output directory. */
    public static final String PLOT_NAME = "training.png";

    /**
     * How the trainer estimates ρ(∂f/∂z) at the end of each epoch: on the first {@code samples} examples of
     * the evaluation data's first batch (the same examples every epoch), with {@code iterations} power
     * iterations. Without evaluation data, or with {@code samples} 0, the estimate is not made.
     *
     * @param samples    examples of the probe batch, 0 to turn the estimate off
     * @param iterations power iterations, at least 2
     */
    public record SpectralProbe(int samples, int iterations) {
        /** 8 samples, 20 iterations. */
        public static final SpectralProbe DEFAULT = new SpectralProbe(8, 20);
        /** No estimate. */
        public static final SpectralProbe OFF = new SpectralProbe(0, 2);

        /** @throws InvalidConfigException if a value is out of range */
        public SpectralProbe {
            if (samples < 0 || iterations < 2) {
                throw new InvalidConfigException("spectral probe needs samples >= 0 and iterations >= 2, got "
                        + samples + " and " + iterations);
            }
        }
    }

    /** @throws InvalidConfigException if a value is out of range */
    public TrainerConfig {
        Objects.requireNonNull(outputDir, "outputDir");
        Objects.requireNonNull(spectralProbe, "spectralProbe");
        runSettings = Collections.unmodifiableMap(new TreeMap<>(runSettings));
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new InvalidConfigException("learning rate must be positive and finite, got " + learningRate);
        }
        if (maxEpochs < 1 || maxSteps < 1 || metricEvery < 1) {
            throw new InvalidConfigException("maxEpochs, maxSteps and metricEvery must be >= 1, got " + maxEpochs + ", "
                    + maxSteps + ", " + metricEvery);
        }
        if (timeBudget.isPresent() && (timeBudget.get().isNegative() || timeBudget.get().isZero())) {
            throw new InvalidConfigException("time budget must be positive, got " + timeBudget.get());
        }
        if (!unit.matches("[A-Za-z0-9_]+") || metric.isPresent() && !metric.get().name().matches("[A-Za-z0-9_]+")) {
            throw new InvalidConfigException("unit and metric names may use letters, digits and '_' only, got '" + unit
                    + "'" + metric.map(m -> ", '" + m.name() + "'").orElse(""));
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new InvalidConfigException("progress interval must be positive, got " + progressInterval);
        }
    }

    /** A builder with the paper's defaults, writing to {@code outputDir}. */
    public static Builder builder(Path outputDir) {
        return new Builder(outputDir);
    }

    /** Builds a configuration for {@code outputDir} adjusted by {@code config}. */
    public static TrainerConfig create(Path outputDir, Consumer<Builder> config) {
        Builder b = builder(outputDir);
        config.accept(b);
        return b.build();
    }

    /** Configures a {@link TrainerConfig}; see the record components for meanings and defaults. */
    public static final class Builder {
        private final Path outputDir;
        private double learningRate = AdamW.DEFAULT_LEARNING_RATE;
        private ReduceOnPlateau.Settings plateau = ReduceOnPlateau.Settings.PAPER;
        private int maxEpochs = 100;
        private long maxSteps = Long.MAX_VALUE;
        private Duration timeBudget;
        private long seed;
        private Metric metric;
        private int metricEvery = 10;
        private Function<ComputationGraph, StepStatsSource> stepStats = graph -> StepStatsSource.NONE;
        private SpectralProbe spectralProbe = SpectralProbe.DEFAULT;
        private String unit = "examples";
        private ToLongFunction<DataSet> itemsPerBatch = DataSet::numExamples;
        private PrintStream progress = System.out;
        private ProgressMode progressMode = ProgressMode.AUTO;
        private Duration progressInterval = Duration.ofSeconds(30);
        private boolean plot = true;
        private Map<String, String> runSettings = Map.of();
        private CheckpointInterval checkpointEvery;

        private Builder(Path outputDir) {
            this.outputDir = outputDir;
        }

        public Builder learningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder plateau(ReduceOnPlateau.Settings plateau) {
            this.plateau = Objects.requireNonNull(plateau);
            return this;
        }

        public Builder maxEpochs(int maxEpochs) {
            this.maxEpochs = maxEpochs;
            return this;
        }

        public Builder maxSteps(long maxSteps) {
            this.maxSteps = maxSteps;
            return this;
        }

        public Builder timeBudget(Duration timeBudget) {
            this.timeBudget = timeBudget;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder metric(Metric metric) {
            this.metric = metric;
            return this;
        }

        public Builder metricEvery(int metricEvery) {
            this.metricEvery = metricEvery;
            return this;
        }

        /** The statistics source for a graph, called once with the graph the trainer trains. */
        public Builder stepStats(Function<ComputationGraph, StepStatsSource> stepStats) {
            this.stepStats = Objects.requireNonNull(stepStats, "stepStats");
            return this;
        }

        /** Throughput unit and how many of them a batch holds, e.g. {@code ("tokens", b -> b.getLabels().length())}. */
        /** The end-of-epoch spectral-radius estimate; {@link SpectralProbe#OFF} skips it. */
        public Builder spectralProbe(SpectralProbe spectralProbe) {
            this.spectralProbe = Objects.requireNonNull(spectralProbe, "spectralProbe");
            return this;
        }

        public Builder throughput(String unit, ToLongFunction<DataSet> itemsPerBatch) {
            this.unit = unit;
            this.itemsPerBatch = Objects.requireNonNull(itemsPerBatch);
            return this;
        }

        public Builder progress(PrintStream progress, ProgressMode mode) {
            this.progress = Objects.requireNonNull(progress);
            this.progressMode = Objects.requireNonNull(mode);
            return this;
        }

        public Builder progressInterval(Duration progressInterval) {
            this.progressInterval = progressInterval;
            return this;
        }

        /** Checkpoints between the per-epoch ones; see {@link CheckpointInterval}. */
        public Builder checkpointEvery(CheckpointInterval checkpointEvery) {
            this.checkpointEvery = Objects.requireNonNull(checkpointEvery, "checkpointEvery");
            return this;
        }

        /** The run's settings, stored in every checkpoint; see {@link TrainerConfig#runSettings()}. */
        public Builder runSettings(Map<String, String> runSettings) {
            this.runSettings = Objects.requireNonNull(runSettings, "runSettings");
            return this;
        }

        public Builder plot(boolean plot) {
            this.plot = plot;
            return this;
        }

        /** @throws InvalidConfigException if a value is out of range */
        public TrainerConfig build() {
            return new TrainerConfig(outputDir, learningRate, plateau, maxEpochs, maxSteps, Optional.ofNullable(timeBudget),
                    seed, Optional.ofNullable(metric), metricEvery, stepStats, spectralProbe, unit, itemsPerBatch,
                    progress, progressMode, progressInterval, plot, Optional.ofNullable(checkpointEvery), runSettings);
        }
    }
}
