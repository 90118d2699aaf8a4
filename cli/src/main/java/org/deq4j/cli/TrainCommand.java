package org.deq4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.train.Accuracy;
import org.deq4j.train.AdamW;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.ProgressMode;
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
 * <p>The run's settings are written to {@code run.properties} in the output folder, so
 * {@code --resume DIR} continues a run without repeating them (limits such as {@code --epochs} and
 * {@code --time-budget} may be given anew).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a zoo DEQ image classifier (default: fashion-cpu on the embedded Fashion-MNIST).")
final class TrainCommand implements Callable<Integer> {
    static final String RUN_FILE = "run.properties";

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
            + " 14m, 2h (default: none).")
    private String timeBudget;

    @Option(names = "--max-steps", description = "Stop after this many steps in total (default: none).")
    private Long maxSteps;

    @Option(names = "--progress", description = "auto, terminal, lines or off (default: ${DEFAULT-VALUE}).",
            defaultValue = "auto")
    private ProgressMode progress;

    @Option(names = "--resume", description = "Continue the run checkpointed in this folder.")
    private Path resume;

    @Override
    public Integer call() {
        PrintWriter msg = spec.commandLine().getErr();
        ImplicitResNet.registerCellTypes();
        Properties run = resume != null ? readRun(resume) : newRun();
        Path dir = resume != null ? resume : Path.of(run.getProperty("out"));
        ZooPreset p = ZooPreset.named(run.getProperty("preset"));
        Optional<Path> dataDir = Optional.ofNullable(run.getProperty("data")).filter(s -> !s.isEmpty()).map(Path::of);
        int batch = Integer.parseInt(run.getProperty("batchSize"));
        long runSeed = Long.parseLong(run.getProperty("seed"));
        DataSplits splits = ZooData.load(p.dataset(), dataDir);

        TrainerConfig.Builder cb = TrainerConfig.builder(dir)
                .learningRate(Double.parseDouble(run.getProperty("lr")))
                .maxEpochs(epochs != null ? epochs : Integer.parseInt(run.getProperty("epochs")))
                .seed(runSeed)
                .metric(Accuracy.INSTANCE)
                .stepStats(g -> DeqStatsSource.lastStepCellEvaluations(g)::get)
                .progress(System.out, progress);
        if (timeBudget != null) {
            cb.timeBudget(Durations.parse(timeBudget));
        }
        if (maxSteps != null) {
            cb.maxSteps(maxSteps);
        }
        TrainerConfig config = cb.build();
        Trainer trainer;
        if (resume != null) {
            trainer = Trainer.resume(config);
        } else {
            GradientStrategy g = GradientStrategy.parse(run.getProperty("gradient"));
            ComputationGraph net = ImplicitResNet.build(p, g, runSeed, Double.parseDouble(run.getProperty("lr")),
                    Double.parseDouble(run.getProperty("weightDecay")));
            writeRun(dir, run);
            trainer = Trainer.create(net, config);
        }
        msg.printf(Locale.ROOT, "%s %s: %d parameters, gradient %s, %s (%d training, %d test images), batch %d,"
                        + " output %s%n", resume != null ? "resuming" : "training", p.name(),
                trainer.graph().params().length(), run.getProperty("gradient"), splits.location(),
                splits.train().size(), splits.test().size(), batch, dir);
        msg.flush();
        long start = System.nanoTime();
        TrainingResult r;
        try (ImageDataSetIterator train = ZooData.training(p.dataset(), splits.train(), batch, runSeed);
             ImageDataSetIterator test = ZooData.evaluation(p.dataset(), splits.test())) {
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

    private Properties newRun() {
        String presetName = preset != null ? preset : ZooPreset.FASHION_CPU.name();
        ZooPreset p = ZooPreset.named(presetName);
        Properties run = new Properties();
        run.setProperty("preset", p.name());
        run.setProperty("gradient", GradientStrategy.parse(gradient != null ? gradient : "reversible").id());
        run.setProperty("data", data != null ? data.toAbsolutePath().toString() : "");
        run.setProperty("batchSize", Integer.toString(positive(batchSize != null ? batchSize : 64, "--batch-size")));
        run.setProperty("seed", Long.toString(seed != null ? seed : 42L));
        run.setProperty("lr", Double.toString(lr != null ? lr : p.learningRate()));
        run.setProperty("weightDecay", Double.toString(weightDecay != null ? weightDecay : AdamW.DEFAULT_WEIGHT_DECAY));
        run.setProperty("epochs", Integer.toString(positive(epochs != null ? epochs : p.epochs(), "--epochs")));
        Path dir = out != null ? out : Path.of("runs", p.name() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(Checkpoint.fileIn(dir))) {
            throw new ParameterException(spec.commandLine(), dir + " already holds a checkpoint: continue it with"
                    + " --resume " + dir + " or choose another --out");
        }
        run.setProperty("out", dir.toString());
        return run;
    }

    private int positive(int v, String option) {
        if (v < 1) {
            throw new ParameterException(spec.commandLine(), option + " must be at least 1, got " + v);
        }
        return v;
    }

    private Properties readRun(Path dir) {
        for (String o : new String[] {"preset", "gradient", "data", "batchSize", "seed", "lr", "weightDecay", "out"}) {
            Object set = switch (o) {
                case "preset" -> preset;
                case "gradient" -> gradient;
                case "data" -> data;
                case "batchSize" -> batchSize;
                case "seed" -> seed;
                case "lr" -> lr;
                case "weightDecay" -> weightDecay;
                default -> out;
            };
            if (set != null) {
                throw new ParameterException(spec.commandLine(), "--resume continues the run's own settings ("
                        + RUN_FILE + "); only --epochs, --time-budget and --max-steps may be given with it");
            }
        }
        Path f = dir.resolve(RUN_FILE);
        Properties run = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            run.load(in);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot resume " + dir + ": no readable " + RUN_FILE
                    + " (" + e.getMessage() + ")");
        }
        return run;
    }

    private static void writeRun(Path dir, Properties run) {
        try {
            Files.createDirectories(dir);
            try (OutputStream o = Files.newOutputStream(dir.resolve(RUN_FILE))) {
                run.store(o, "deq4j train settings (read by --resume)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(RUN_FILE), e);
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
