package org.deq4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.GradientStrategy;
import org.deq4j.lm.corpus.Split;
import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.corpus.TokenizedCorpus;
import org.deq4j.lm.corpus.WindowDataSetIterator;
import org.deq4j.lm.eval.LanguageModelEvaluator;
import org.deq4j.lm.eval.LanguageModelScore;
import org.deq4j.lm.eval.Perplexity;
import org.deq4j.lm.model.DeqLanguageModelConfig;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.samediff.dl4j.DeqStatsSource;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.CheckpointInterval;
import org.deq4j.train.ProgressMode;
import org.deq4j.train.ReduceOnPlateau;
import org.deq4j.train.StepStatsSource;
import org.deq4j.train.Trainer;
import org.deq4j.train.TrainerConfig;
import org.deq4j.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j lm train}: trains a DEQ-transformer language model with the {@link Trainer} (AdamW,
 * plateau rule, per-epoch validation perplexity, checkpoints), then scores the final model on the
 * validation split against two baselines fitted on the training split (unigram and Kneser-Ney 5-gram,
 * {@link LmRuns.Baselines}), and writes
 * {@value LmRuns#RESULTS_NAME} next to the checkpoint. With no arguments: the {@value #DEFAULT_PRESET}
 * preset on the embedded Jane Austen corpus for at most {@value #DEFAULT_BUDGET_MINUTES} minutes of training.
 * {@code --config FILE} reads option values from a run file ({@link RunFile}); {@code --resume DIR} continues a
 * run with the settings stored in its checkpoint ({@link ResumeOptions}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a DEQ-transformer language model (default: the CPU preset on the embedded Jane Austen"
                + " corpus, about 12 minutes of training plus a full validation pass).")
final class LmTrainCommand implements Callable<Integer> {
    static final String DEFAULT_PRESET = "austen-micro";
    static final long DEFAULT_BUDGET_MINUTES = 12;

    @Spec
    private CommandSpec spec;

    @Option(names = "--preset", description = "Model preset: austen-micro, austen-tiny, austen-small or"
            + " wikitext103-paper (default: ${DEFAULT-VALUE}).",
            defaultValue = DEFAULT_PRESET)
    private String preset;

    @Option(names = "--data", description = "Plain-text file or folder, or a WikiText-103 folder (default: the embedded"
            + " Jane Austen novels).")
    private Path data;

    @Option(names = "--tokenizer", description = "gpt2, gpt2-padded, bytes or bytes+eot (default: the preset's).")
    private String tokenizer;

    @Option(names = "--epochs", description = "Epochs (default: the preset's).")
    private Integer epochs;

    @Option(names = "--max-steps", description = "Stop after this many steps in total (default: no limit).")
    private Long maxSteps;

    @Option(names = "--batch-size", description = "Windows per batch (default: the preset's).")
    private Integer batchSize;

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    private long seed;

    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE}).", defaultValue = "runs/lm")
    private Path out;

    @Option(names = "--gradient", description = "reversible, unrolled, implicit or phantom (default: ${DEFAULT-VALUE}).",
            defaultValue = "reversible")
    private String gradient;

    @Option(names = "--dropout", paramLabel = "RATE", description = DropoutOption.DESCRIPTION)
    private Double dropout;

    @Option(names = "--jac-reg", description = "Weight of the DEQ layer's Jacobian regularisation (Hutchinson"
            + " estimate of ||df/dz||_F^2 per state scalar, one probe, every step); 0 for none (default: 0).")
    private Double jacReg;

    @Option(names = "--lr", description = "Base learning rate (default: the preset's; austen-micro 3e-3).")
    private Double lr;

    @Option(names = "--weight-decay", description = "AdamW decoupled weight decay (default: the preset's, 1e-4).")
    private Double weightDecay;

    @Option(names = "--lr-schedule", description = "Learning-rate rule: plateau (the paper's: halve the rate when the"
            + " loss averaged over 200 steps has not improved for 10 averages, stop at 1e-3 of it), or plateau with"
            + " some parameters replaced, e.g. plateau:window=50,patience=4,factor=0.5,stop=1e-3,rtol=1e-4"
            + " (default: plateau).")
    private String lrSchedule;

    @Option(names = "--solver-steps", description = "Forward solver steps of the DEQ (default: the preset's, 4).")
    private Integer solverSteps;

    @Option(names = "--beta", description = "Relaxation beta of the DEQ: in (0, 2) and not 1 for reversible, in (0, 1]"
            + " for the other gradients (default: the preset's, 0.5).")
    private Double beta;

    @Option(names = "--time-budget", description = "Training wall-clock budget, e.g. 10m, 90s, 2h (default: "
            + DEFAULT_BUDGET_MINUTES + "m; 0 for none).", defaultValue = DEFAULT_BUDGET_MINUTES + "m")
    private String timeBudget;

    @Option(names = "--eval-windows", description = "Score the final model on the first N validation windows only"
            + " (default: ${DEFAULT-VALUE}, the whole split).", defaultValue = "0")
    private int evalWindows;

    @Option(names = "--checkpoint-every", description = "Also checkpoint every N steps (e.g. 500) or every period"
            + " (e.g. 10m), not only at the end of each epoch (default: per epoch only).")
    private String checkpointEvery;

    @Option(names = "--resume", description = "Continue the run in this directory (its settings are reused).")
    private Path resume;

    @Option(names = "--progress", description = "auto, terminal, lines or off (default: ${DEFAULT-VALUE}).",
            defaultValue = "auto")
    private ProgressMode progress;

    @Mixin
    private RunFileOption runFile;

    @Option(names = "--dry-run", description = "Check the options (and a --config run file), print the run's"
            + " settings and stop: no corpus is loaded and nothing is written.")
    private boolean dryRun;

    @Override
    public Integer call() {
        PrintWriter console = spec.commandLine().getOut();
        long start = System.nanoTime();
        // Every option is checked (limits, settings, the output folder) before the corpus or a model is loaded.
        Optional<Duration> budget = Durations.parseLimit(timeBudget);
        Optional<CheckpointInterval> interval = Optional.ofNullable(checkpointEvery)
                .map(v -> Durations.interval(spec.commandLine(), "--checkpoint-every", v));
        Limits.atLeastOne(spec.commandLine(), "--epochs", epochs);
        Limits.atLeastOne(spec.commandLine(), "--max-steps", maxSteps);
        Limits.atLeastOne(spec.commandLine(), "--batch-size", batchSize);
        Limits.atLeastOne(spec.commandLine(), "--solver-steps", solverSteps);
        Limits.notNegative(spec.commandLine(), "--eval-windows", evalWindows);
        Limits.weight(spec.commandLine(), "--jac-reg", jacReg);
        if (resume != null) {
            ResumeOptions.refuseRunOptions(spec);
        }
        RunSettings run = resume != null ? RunSettings.of(Checkpoint.fileIn(resume), RunSettings.Kind.LANGUAGE_MODEL)
                : newRun();
        if (dryRun) {
            return RunSettings.print(console, run);
        }
        Path dir = resume != null ? resume : OutputFolder.prepare(spec.commandLine(), out);
        DeqLanguageModelConfig model = run.languageModel();
        TokenizedCorpus corpus = TokenizedCorpus.of(run.corpus(), run.createTokenizer());
        SplitTokens train = corpus.get(Split.TRAIN);
        SplitTokens validation = corpus.get(Split.VALIDATION);
        SplitTokens scored = evalWindows > 0 ? LanguageModelEvaluator.prefix(validation, model.contextLength(), evalWindows)
                : validation;
        console.printf(Locale.ROOT, "model %s: %,d parameters (T %d, d %d, %d heads, MLP %d, beta %.2f, %d steps, tol %.0e),"
                        + " gradient %s%s%n", model.name(), model.parameterCount(), model.contextLength(), model.dModel(),
                model.heads(), model.mlpHidden(), model.beta(), model.maxSteps(), model.tol(), run.gradient().id(),
                run.stabilisers().isAnyOn() ? ", stabilisers: " + run.stabilisers().describe() : "");
        console.printf("data %s, tokenizer %s; %s; %s%n", corpus.corpusName(), corpus.tokenizerName(), LmRuns.describe(train),
                LmRuns.describe(validation));
        console.flush();

        WindowDataSetIterator trainData = WindowDataSetIterator.builder(train.windows(model.contextLength()),
                model.vocabSize()).batchSize(model.batchSize()).seed(run.seed()).shuffle(true).build();
        trainData.setPreProcessor(DeqTransformerLM.labelsPreProcessor());
        WindowDataSetIterator validationData = LanguageModelEvaluator.iterator(scored.windows(model.contextLength()),
                model.vocabSize(), LmRuns.EVAL_BATCH);
        TrainerConfig config = TrainerConfig.create(dir, b -> {
            b.learningRate(model.learningRate()).plateau(run.lrSchedule())
                    .maxEpochs(epochs != null ? epochs : model.epochs()).seed(run.seed())
                    .runSettings(run.toMap())
                    .metric(Perplexity.INSTANCE).metricEvery(25)
                    .stepStats(g -> StepStatsSource.of(DeqStatsSource.monitor(g)))
                    .throughput("tokens", ds -> ds.getLabels().length())
                    .progress(System.out, progress);
            if (maxSteps != null) {
                b.maxSteps(maxSteps);
            }
            budget.ifPresent(b::timeBudget);
            interval.ifPresent(b::checkpointEvery);
        });
        Trainer trainer;
        if (resume != null) {
            trainer = Trainer.resume(config);
        } else {
            trainer = Trainer.create(DeqTransformerLM.create(model, run.gradient(), run.seed()), config);
        }
        long stepsBefore = trainer.step();
        long fitStart = System.nanoTime();
        TrainingResult result;
        try (StopOnSignal signals = StopOnSignal.install(trainer, spec.commandLine().getErr())) {
            result = trainer.fit(trainData, validationData);
        }
        double fitSeconds = (System.nanoTime() - fitStart) * 1e-9;
        long tokensTrained = (result.steps() - stepsBefore) * (long) model.batchSize() * model.contextLength();

        ComputationGraph graph = trainer.graph();
        LanguageModelScore score = LanguageModelEvaluator.evaluate(graph, scored, LmRuns.EVAL_BATCH);
        LmRuns.Baselines baselines = LmRuns.Baselines.fit(train, scored, model.vocabSize());
        double wallSeconds = (System.nanoTime() - start) * 1e-9;

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", "deq4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        json.put("date", Instant.now().toString());
        json.put("preset", model.name());
        json.put("parameters", model.parameterCount());
        json.put("corpus", corpus.corpusName());
        json.put("tokenizer", corpus.tokenizerName());
        json.put("gradient", run.gradient().id());
        json.put("dropout", run.dropout().rate());
        json.put("batchSize", model.batchSize());
        json.put("contextLength", model.contextLength());
        json.put("stopReason", result.reason().toString());
        json.put("steps", result.steps());
        json.put("epochs", result.epochs());
        json.put("finalLearningRate", result.learningRate());
        json.put("trainSeconds", fitSeconds);
        json.put("wallSeconds", wallSeconds);
        json.put("tokensPerSecond", tokensTrained / fitSeconds);
        json.put("evalWindows", evalWindows);
        json.put("validation", LmRuns.scoreJson(score));
        json.put("unigramValidation", baselines.unigram().json());
        json.put("kneserNey5Validation", baselines.kneserNeyJson());
        json.put("checkpoint", Checkpoint.fileIn(dir).toString());
        try {
            Files.writeString(dir.resolve(LmRuns.RESULTS_NAME), Json.write(json) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir.resolve(LmRuns.RESULTS_NAME) + " failed", e);
        }
        console.printf(Locale.ROOT, "stopped: %s after %d steps (%d epochs) in %.0f s of training, %.0f tokens/s%n",
                result.reason(), result.steps(), result.epochs(), fitSeconds, tokensTrained / fitSeconds);
        console.printf(Locale.ROOT, "validation: perplexity %.3f, %.3f bits/byte (baselines: %s)%n", score.perplexity(),
                score.bitsPerByte(), baselines.describe());
        console.printf(Locale.ROOT, "wall time %.0f s; checkpoint %s; results %s%n", wallSeconds, Checkpoint.fileIn(dir),
                dir.resolve(LmRuns.RESULTS_NAME));
        console.flush();
        return 0;
    }

    private RunSettings newRun() {
        DeqLanguageModelConfig p = DeqLanguageModelConfig.preset(preset);
        return new RunSettings(RunSettings.Kind.LANGUAGE_MODEL, preset, GradientStrategy.parse(gradient),
                Optional.ofNullable(data), batchSize != null ? batchSize : p.batchSize(), seed,
                lr != null ? lr : p.learningRate(), weightDecay != null ? weightDecay : p.weightDecay(),
                epochs != null ? epochs : p.epochs(), Optional.of(tokenizer != null ? tokenizer : p.tokenizer()),
                Optional.ofNullable(solverSteps), Optional.ofNullable(beta),
                lrSchedule != null ? LrSchedule.parse(lrSchedule) : ReduceOnPlateau.Settings.PAPER,
                DropoutOption.parse(spec.commandLine(), dropout, p.stabilisers().dropout()),
                jacReg != null ? jacReg : p.stabilisers().jacobian().weight());
    }
}
