package org.deq4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.deq4j.core.GradientStrategy;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.train.Accuracy;
import org.deq4j.train.AdamW;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.CheckpointInterval;
import org.deq4j.train.ProgressMode;
import org.deq4j.train.StepStatsSource;
import org.deq4j.train.Trainer;
import org.deq4j.train.TrainerConfig;
import org.deq4j.train.TrainingResult;
import org.deq4j.zoo.data.DataSplits;
import org.deq4j.zoo.data.ImageDataSetIterator;
import org.deq4j.zoo.model.ImplicitResNet;
import org.deq4j.zoo.model.ZooData;
import org.deq4j.zoo.model.ZooPreset;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j train}: trains a zoo image classifier ({@link ZooPreset}, built by {@link ImplicitResNet})
 * with the {@link Trainer} (AdamW, plateau rule, checkpoint every epoch, metrics CSV, PNG plot,
 * progress line) and evaluates test accuracy after every epoch. Without options: preset
 * {@code fashion-cpu} on the embedded Fashion-MNIST extract.
 *
 * <p>The run's settings ({@link RunSettings}) are stored in every checkpoint, so {@code --resume DIR}
 * continues a run without repeating them (limits such as {@code --epochs} and {@code --time-budget}
 * may be given anew).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a zoo DEQ image classifier (default: fashion-cpu on the embedded Fashion-MNIST).")
final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--preset", description = "Model preset: ${COMPLETION-CANDIDATES} (default: fashion-cpu).",
            completionCandidates = PresetNames.class)
    private String preset;

    @Option(names = "--data", description = "Data folder (default: the embedded Fashion-MNIST extract; CIFAR presets"
            + " need the extracted binary folder).")
    private Path data;

    @Option(names = "--epochs", description = "Epochs (default: the preset's; fashion-cpu 8).")
    private Integer epochs;

    @Option(names = "--batch-size", description = "Training batch size (default: 64).")
    private Integer batchSize;

    @Option(names = "--seed", description = "Seed of initialisation, shuffling and augmentation (default: 42).")
    private Long seed;

    @Option(names = "--out", description = "Output folder (default: runs/<preset>-<timestamp>).")
    private Path out;

    @Option(names = "--gradient", description = "DEQ gradient: reversible (default), unrolled, implicit, phantom.")
    private String gradient;

    @Option(names = "--lr", description = "Base learning rate (default: the preset's; fashion-cpu 2e-3).")
    private Double lr;

    @Option(names = "--weight-decay", description = "AdamW decoupled weight decay (default: 1e-4).")
    private Double weightDecay;

    @Option(names = "--time-budget", description = "Stop cleanly (with a checkpoint) after this long, e.g. 90s,"
            + " 14m, 2h; 0 for none (default: none).")
    private String timeBudget;

    @Option(names = "--max-steps", description = "Stop after this many steps in total (default: none).")
    private Long maxSteps;

    @Option(names = "--progress", description = "auto, terminal, lines or off (default: ${DEFAULT-VALUE}).",
            defaultValue = "auto")
    private ProgressMode progress;

    @Option(names = "--checkpoint-every", description = "Also checkpoint every N steps (e.g. 500) or every period"
            + " (e.g. 10m), not only at the end of each epoch (default: per epoch only).")
    private String checkpointEvery;

    @Option(names = "--resume", description = "Continue the run checkpointed in this folder.")
    private Path resume;

    @Override
    public Integer call() {
        PrintWriter msg = spec.commandLine().getErr();
        RunSettings run = resume != null ? resumedRun() : newRun();
        ZooPreset p = run.zooPreset();
        // Every option is checked (settings, limits, the output folder) before data or a model is loaded.
        int maxEpochs = epochs != null ? positive(epochs, "--epochs") : run.epochs();
        Optional<Duration> budget = Optional.ofNullable(timeBudget).flatMap(Durations::parseLimit);
        Limits.atLeastOne(spec.commandLine(), "--max-steps", maxSteps);
        Optional<CheckpointInterval> interval = Optional.ofNullable(checkpointEvery)
                .map(v -> Durations.interval(spec.commandLine(), "--checkpoint-every", v));
        Path dir = resume != null ? resume : outputDir(p);
        TrainerConfig.Builder cb = TrainerConfig.builder(dir)
                .learningRate(run.learningRate())
                .maxEpochs(maxEpochs)
                .seed(run.seed())
                .metric(Accuracy.INSTANCE)
                .stepStats(g -> StepStatsSource.of(DeqStatsSource.monitor(g)))
                .runSettings(run.toMap())
                .progress(System.out, progress);
        budget.ifPresent(cb::timeBudget);
        interval.ifPresent(cb::checkpointEvery);
        if (maxSteps != null) {
            cb.maxSteps(maxSteps);
        }
        TrainerConfig config = cb.build();
        DataSplits splits = ZooData.load(p.dataset(), run.data());
        Trainer trainer = resume != null ? Trainer.resume(config)
                : Trainer.create(ImplicitResNet.build(AdamW.apply(ImplicitResNet.configuration(p, run.gradient(),
                        run.seed()), run.learningRate(), run.weightDecay())), config);
        msg.printf(Locale.ROOT, "%s %s: %d parameters, gradient %s, %s (%d training, %d test images), batch %d,"
                        + " output %s%n", resume != null ? "resuming" : "training", p.name(),
                trainer.graph().params().length(), run.gradient().id(), splits.location(),
                splits.train().size(), splits.test().size(), run.batchSize(), dir);
        msg.flush();
        long start = System.nanoTime();
        TrainingResult r;
        try (ImageDataSetIterator train = ZooData.training(p.dataset(), splits.train(), run.batchSize(), run.seed());
             ImageDataSetIterator test = ZooData.evaluation(p.dataset(), splits.test());
             StopOnSignal signals = StopOnSignal.install(trainer, msg)) {
            r = trainer.fit(train, test);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter outw = spec.commandLine().getOut();
        outw.printf(Locale.ROOT, "stopped: %s after %d steps, %d epochs, %.0f s; test accuracy %s; checkpoint %s%n",
                r.reason(), r.steps(), r.epochs(), seconds,
                r.lastEvaluation().isPresent() ? String.format(Locale.ROOT, "%.4f", r.lastEvaluation().getAsDouble())
                        : "(no epoch finished)", r.checkpoint());
        outw.flush();
        return 0;
    }

    private RunSettings newRun() {
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) {
            throw new ParameterException(spec.commandLine(), "--lr must be positive and finite, got " + lr);
        }
        if (weightDecay != null && !(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new ParameterException(spec.commandLine(), "--weight-decay must be >= 0 and finite, got "
                    + weightDecay);
        }
        ZooPreset p = ZooPreset.named(preset != null ? preset : ZooPreset.FASHION_CPU.name());
        return new RunSettings(RunSettings.Kind.VISION, p.name(),
                GradientStrategy.parse(gradient != null ? gradient : GradientStrategy.REVERSIBLE.id()),
                Optional.ofNullable(data), positive(batchSize != null ? batchSize : 64, "--batch-size"),
                seed != null ? seed : 42L, lr != null ? lr : p.learningRate(),
                weightDecay != null ? weightDecay : AdamW.DEFAULT_WEIGHT_DECAY,
                positive(epochs != null ? epochs : p.epochs(), "--epochs"), Optional.empty());
    }

    private Path outputDir(ZooPreset p) {
        return OutputFolder.prepare(spec.commandLine(), out != null ? out : Path.of("runs", p.name() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
    }

    private int positive(int v, String option) {
        Limits.atLeastOne(spec.commandLine(), option, v);
        return v;
    }

    /** The settings stored in the checkpoint being resumed; options that would change them are refused. */
    private RunSettings resumedRun() {
        List<String> given = new ArrayList<>();
        addIfSet(given, "--preset", preset);
        addIfSet(given, "--gradient", gradient);
        addIfSet(given, "--data", data);
        addIfSet(given, "--batch-size", batchSize);
        addIfSet(given, "--seed", seed);
        addIfSet(given, "--lr", lr);
        addIfSet(given, "--weight-decay", weightDecay);
        addIfSet(given, "--out", out);
        if (!given.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--resume continues the run with the settings stored in"
                    + " its checkpoint; " + String.join(", ", given) + " cannot change them (only --epochs,"
                    + " --time-budget and --max-steps may be given with it)");
        }
        return RunSettings.of(Checkpoint.fileIn(resume), RunSettings.Kind.VISION);
    }

    private static void addIfSet(List<String> given, String option, Object value) {
        if (value != null) {
            given.add(option);
        }
    }

    /** Preset names for the help text. */
    static final class PresetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ZooPreset.names().iterator();
        }
    }
}
