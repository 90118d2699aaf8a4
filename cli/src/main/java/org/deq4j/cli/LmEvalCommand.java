package org.deq4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.corpus.Split;
import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.corpus.TokenizedCorpus;
import org.deq4j.lm.eval.LanguageModelEvaluator;
import org.deq4j.lm.eval.LanguageModelScore;
import org.deq4j.lm.model.DeqTransformerLM;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j lm eval}: per-token perplexity and bits per byte of a checkpointed language model on a split
 * of its run's corpus (from the {@link RunSettings} in the checkpoint; {@code --data}
 * overrides the corpus), next to a unigram and a Kneser-Ney 5-gram baseline fitted on the same corpus's training
 * split and scored on the same tokens ({@link LmRuns.Baselines}; JSON blocks {@code unigram} and
 * {@code kneserNey5}, each with {@code perplexity} and {@code bitsPerByte}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Perplexity per token and bits per byte of a trained language model on a split, next to"
                + " unigram and Kneser-Ney 5-gram baselines fitted on the training split.")
final class LmEvalCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint;

    @Mixin
    private EvalFactorOption evalFactor;

    @Option(names = "--split", description = "validation or test (default: ${DEFAULT-VALUE}).", defaultValue = "validation")
    private String split;

    @Option(names = "--data", description = "Corpus to evaluate on instead of the run's.")
    private Path data;

    @Option(names = "--batch-size", description = "Windows per inference pass (default: ${DEFAULT-VALUE}).",
            defaultValue = "" + LmRuns.EVAL_BATCH)
    private int batchSize;

    @Option(names = "--max-windows", description = "Score only the split's first N windows (default: 0, all).",
            defaultValue = "0")
    private int maxWindows;

    @Option(names = "--json", description = "Print one JSON object.")
    private boolean json;

    @Override
    public Integer call() {
        Split which = switch (split.toLowerCase(Locale.ROOT)) {
            case "validation", "valid", "val" -> Split.VALIDATION;
            case "test" -> Split.TEST;
            case "train" -> Split.TRAIN;
            default -> throw new InvalidConfigException("unknown split '" + split + "'; choose validation or test");
        };
        Limits.atLeastOne(spec.commandLine(), "--batch-size", batchSize);
        Limits.notNegative(spec.commandLine(), "--max-windows", maxWindows);
        Path file = checkpoint.file();
        RunSettings run = checkpoint.settings(RunSettings.Kind.LANGUAGE_MODEL);
        if (data != null) {
            run = run.withData(data);
        }
        ComputationGraph graph = DeqTransformerLM.withInferenceSettings(checkpoint.model(), evalFactor.budget(), false);
        long evaluationsBefore = DeqTransformerLM.deq(graph).forwardCellEvaluations();
        TokenizedCorpus corpus = TokenizedCorpus.of(run.corpus(), run.createTokenizer());
        SplitTokens scored = LanguageModelEvaluator.prefix(corpus.get(which), DeqTransformerLM.contextLength(graph),
                maxWindows > 0 ? maxWindows : Integer.MAX_VALUE);
        long start = System.nanoTime();
        LanguageModelScore score = LanguageModelEvaluator.evaluate(graph, scored, batchSize);
        double seconds = (System.nanoTime() - start) * 1e-9;
        long cellEvaluations = DeqTransformerLM.deq(graph).forwardCellEvaluations() - evaluationsBefore;
        LmRuns.Baselines baselines = LmRuns.Baselines.fit(corpus.train(), scored, DeqTransformerLM.vocabSize(graph));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", file.toString());
            m.put("corpus", corpus.corpusName());
            m.put("tokenizer", corpus.tokenizerName());
            m.put("split", which.label());
            m.put("maxWindows", maxWindows);
            m.putAll(LmRuns.scoreJson(score));
            m.put("seconds", seconds);
            m.put("cellEvaluations", cellEvaluations);
            m.put("unigram", baselines.unigram().json());
            m.put("kneserNey5", baselines.kneserNeyJson());
            out.println(Json.write(m));
        } else {
            out.printf(Locale.ROOT, "%s, %s (%s): perplexity %.4f per token, %.4f bits per byte, %.4f nats per token"
                            + " over %d tokens (%.1f s)%n", corpus.corpusName(), which.label(), corpus.tokenizerName(),
                    score.perplexity(), score.bitsPerByte(), score.nllPerToken(), score.tokens(), seconds);
            out.printf(Locale.ROOT, "DEQ cell evaluations: %d (batches of up to %d windows)%n", cellEvaluations,
                    batchSize);
            out.printf("baselines fitted on the training split, scored on the same tokens: %s%n", baselines.describe());
        }
        out.flush();
        return 0;
    }
}
