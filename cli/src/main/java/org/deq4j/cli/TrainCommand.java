package org.deq4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.deq4j.core.GradientStrategy;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.train.Accuracy;
import org.deq4j.train.AdamW;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.CheckpointInterval;
import org.deq4j.train.ProgressMode;
import org.deq4j.train.ReduceOnPlateau;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j train}: trains a zoo image classifier ({@link ZooPreset}, built by {@link ImplicitResNet})
 * with the {@link Trainer} (AdamW, plateau rule, checkpoint every epoch, metrics CSV, PNG plot,
 * progress line) and evaluates test accuracy after every epoch; at the end it writes {@value #RESULTS_NAME}.
 * Without options: preset {@code fashion-cpu} on the embedded Fashion-MNIST extract.
 *
 * <p>The run's settings ({@link RunSettings}) are stored in every checkpoint, so {@code --resume DIR}
 * continues a run without repeating them (limits such as {@code --epochs} and {@code --time-budget}
 * may be given anew). {@code --config FILE} reads option values from a run file ({@link RunFile}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a zoo DEQ image classifier (default: fashion-cpu on the embedded Fashion-MNIST).")
final class TrainCommand implements Callable<Integer> {
    /** The outcome of a run (stop reason, steps, test accuracy), written next to the checkpoint at the end. */
    static final String RESULTS_NAME = "train-results.json";

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

    @Option(names = "--lr-schedule", description = "Learning-rate rule: plateau (the paper's: halve the rate when the"
            + " loss averaged over 200 steps has not improved for 10 averages, stop at 1e-3 of it), or plateau with"
            + " some parameters replaced, e.g. plateau:window=50,patience=4,factor=0.5,stop=1e-3,rtol=1e-4"
            + " (default: plateau).")
    private String lrSchedule;

    @Option(names = "--solver-steps", description = "Forward solver steps of every DEQ (default: the preset's;"
            + " fashion-cpu 2, the paper's ResNets 4).")
    private Integer solverSteps;

    @Option(names = "--beta", description = "Relaxation beta of every DEQ: in (0, 2) and not 1 for reversible, in"
            + " (0, 1] for the other gradients (default: the preset's, 0.8).")
    private Double beta;

    @Option(names = "--weight-decay", description = "AdamW decoupled weight decay (default: 1e-4).")
    private Double weightDecay;

    @Option(names = "--dropout", paramLabel = "RATE", description = DropoutOption.DESCRIPTION)
    private Double dropout;

    @Option(names = "--jac-reg", description = "Weight of the DEQ layers' Jacobian regularisation (Hutchinson"
            + " estimate of ||df/dz||_F^2 per state scalar, one probe, every step); 0 for none (default: 0).")
    private Double jacReg;

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

    @Mixin
    private RunFileOption runFile;

    @Option(names = "--dry-run", description = "Check the options (and a --config run file), print the run's"
            + " settings and stop: no data is loaded and nothing is written.")
    private boolean dryRun;

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
        if (dryRun) {
            return RunSettings.print(spec.commandLine().getOut(), run);
        }
        Path dir = resume != null ? resume : outputDir(p);
        TrainerConfig.Builder cb = TrainerConfig.builder(dir)
                .learningRate(run.learningRate())
                .plateau(run.lrSchedule())
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
        msg.printf(Locale.ROOT, "%s %s: %d parameters, gradient %s%s, %s (%d training, %d test images), batch %d,"
                        + " output %s%n", resume != null ? "resuming" : "training", p.name(),
                trainer.graph().params().length(), run.gradient().id(),
                run.stabilisers().isAnyOn() ? ", stabilisers: " + run.stabilisers().describe() : "", splits.location(),
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
        writeResults(dir, p, run, r, seconds);
        PrintWriter outw = spec.commandLine().getOut();
        outw.printf(Locale.ROOT, "stopped: %s after %d steps, %d epochs, %.0f s; test accuracy %s; checkpoint %s%n",
                r.reason(), r.steps(), r.epochs(), seconds,
                r.lastEvaluation().isPresent() ? String.format(Locale.ROOT, "%.4f", r.lastEvaluation().getAsDouble())
                        : "(no epoch finished)", r.checkpoint());
        outw.flush();
        return 0;
    }

    /** The outcome as {@value #RESULTS_NAME}, for scripts and the sweep runner. */
    private void writeResults(Path dir, ZooPreset p, RunSettings run, TrainingResult r, double seconds) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", "deq4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        json.put("date", Instant.now().toString());
        json.put("preset", p.name());
        json.put("gradient", run.gradient().id());
        json.put("stopReason", r.reason().toString());
        json.put("steps", r.steps());
        json.put("epochs", r.epochs());
        json.put("trainSeconds", seconds);
        json.put("testAccuracy", r.lastEvaluation().isPresent() ? r.lastEvaluation().getAsDouble() : null);
        json.put("checkpoint", r.checkpoint().toString());
        Path file = dir.resolve(RESULTS_NAME);
        try {
            Files.writeString(file, Json.write(json) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + " failed", e);
        }
    }

    private RunSettings newRun() {
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) {
            throw new ParameterException(spec.commandLine(), "--lr must be positive and finite, got " + lr);
        }
        if (weightDecay != null && !(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new ParameterException(spec.commandLine(), "--weight-decay must be >= 0 and finite, got "
                    + weightDecay);
        }
        Limits.weight(spec.commandLine(), "--jac-reg", jacReg);
        ZooPreset p = ZooPreset.named(preset != null ? preset : ZooPreset.FASHION_CPU.name());
        return new RunSettings(RunSettings.Kind.VISION, p.name(),
                GradientStrategy.parse(gradient != null ? gradient : GradientStrategy.REVERSIBLE.id()),
                Optional.ofNullable(data), positive(batchSize != null ? batchSize : 64, "--batch-size"),
                seed != null ? seed : 42L, lr != null ? lr : p.learningRate(),
                weightDecay != null ? weightDecay : AdamW.DEFAULT_WEIGHT_DECAY,
                positive(epochs != null ? epochs : p.epochs(), "--epochs"), Optional.empty(),
                Optional.ofNullable(solverSteps).map(n -> positive(n, "--solver-steps")), Optional.ofNullable(beta),
                lrSchedule != null ? LrSchedule.parse(lrSchedule) : ReduceOnPlateau.Settings.PAPER,
                DropoutOption.parse(spec.commandLine(), dropout, p.stabilisers().dropout()),
                jacReg != null ? jacReg : p.stabilisers().jacobian().weight());
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
        ResumeOptions.refuseRunOptions(spec);
        return RunSettings.of(Checkpoint.fileIn(resume), RunSettings.Kind.VISION);
    }

    /** Preset names for the help text. */
    static final class PresetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ZooPreset.names().iterator();
        }
    }
}
