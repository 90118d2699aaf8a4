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
import org.deq4j.train.StepStatsSource;
import org.deq4j.train.Trainer;
import org.deq4j.train.TrainerConfig;
import org.deq4j.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j lm train}: trains a DEQ-transformer language model with the {@link Trainer} (AdamW,
 * plateau rule, per-epoch validation perplexity, checkpoints), then scores the final model on the
 * validation split against two baselines fitted on the training split (unigram and Kneser-Ney 5-gram,
 * {@link LmRuns.Baselines}), and writes
 * {@value LmRuns#RESULTS_NAME} next to the checkpoint. With no arguments: the {@value #DEFAULT_PRESET}
 * preset on the embedded Jane Austen corpus for at most {@value #DEFAULT_BUDGET_MINUTES} minutes of training.
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
        Limits.notNegative(spec.commandLine(), "--eval-windows", evalWindows);
        RunSettings run = resume != null ? RunSettings.of(Checkpoint.fileIn(resume), RunSettings.Kind.LANGUAGE_MODEL)
                : newRun();
        Path dir = resume != null ? resume : OutputFolder.prepare(spec.commandLine(), out);
        DeqLanguageModelConfig model = run.languageModel();
        TokenizedCorpus corpus = TokenizedCorpus.of(run.corpus(), run.createTokenizer());
        SplitTokens train = corpus.get(Split.TRAIN);
        SplitTokens validation = corpus.get(Split.VALIDATION);
        SplitTokens scored = evalWindows > 0 ? LanguageModelEvaluator.prefix(validation, model.contextLength(), evalWindows)
                : validation;
        console.printf(Locale.ROOT, "model %s: %,d parameters (T %d, d %d, %d heads, MLP %d, beta %.2f, %d steps, tol %.0e),"
                        + " gradient %s%n", model.name(), model.parameterCount(), model.contextLength(), model.dModel(),
                model.heads(), model.mlpHidden(), model.beta(), model.maxSteps(), model.tol(), run.gradient().id());
        console.printf("data %s, tokenizer %s; %s; %s%n", corpus.corpusName(), corpus.tokenizerName(), LmRuns.describe(train),
                LmRuns.describe(validation));
        console.flush();

        WindowDataSetIterator trainData = WindowDataSetIterator.builder(train.windows(model.contextLength()),
                model.vocabSize()).batchSize(model.batchSize()).seed(run.seed()).shuffle(true).build();
        trainData.setPreProcessor(DeqTransformerLM.labelsPreProcessor());
        WindowDataSetIterator validationData = LanguageModelEvaluator.iterator(scored.windows(model.contextLength()),
                model.vocabSize(), LmRuns.EVAL_BATCH);
        TrainerConfig config = TrainerConfig.create(dir, b -> {
            b.learningRate(model.learningRate()).maxEpochs(epochs != null ? epochs : model.epochs()).seed(run.seed())
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
                Optional.ofNullable(data), batchSize != null ? batchSize : p.batchSize(), seed, p.learningRate(),
                p.weightDecay(), epochs != null ? epochs : p.epochs(),
                Optional.of(tokenizer != null ? tokenizer : p.tokenizer()));
    }
}
