package org.deq4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.cli.bench.TrainBenchmark;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.lm.corpus.Split;
import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.corpus.TokenizedCorpus;
import org.deq4j.lm.corpus.WindowDataSetIterator;
import org.deq4j.lm.model.DeqLanguageModelConfig;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.samediff.dl4j.DeqStabilisers;
import org.deq4j.train.AdamW;
import org.deq4j.train.ReduceOnPlateau;
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
 * {@code deq4j bench train}: training throughput, peak resident memory and the time split of a zoo
 * or language-model preset on its default data (see {@link TrainBenchmark}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Training throughput (examples/s, or tokens/s for language models), peak resident memory"
                + " and the time split (cell forward, cell VJP, solver, other layers) of a preset.",
                "Presets: the zoo's (train --preset) and the language model's (lm train --preset)."})
final class BenchTrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--preset", description = "Preset (default: fashion-cpu).")
    private String preset = ZooPreset.FASHION_CPU.name();

    @Option(names = "--data", description = "Data folder or corpus (default: the preset's embedded data).")
    private Path data;

    @Option(names = "--steps", description = "Timed training steps (default: ${DEFAULT-VALUE}).", defaultValue = "40")
    private int steps;

    @Option(names = "--warmup", description = "Untimed steps first (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    private int warmup;

    @Option(names = "--batch-size", description = "Batch size (default: the preset's: 64 for the zoo).")
    private Integer batchSize;

    @Option(names = "--gradient", description = "DEQ gradient (default: reversible).")
    private String gradient = "reversible";

    @Option(names = "--seed", description = "Seed (default: 42).")
    private long seed = 42;

    @Option(names = "--jac-reg", description = "Weight of the DEQ layers' Jacobian regularisation, as train"
            + " --jac-reg (default: 0, none).")
    private Double jacReg;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    @Override
    public Integer call() {
        if (steps < 1 || warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--steps must be at least 1 and --warmup at least 0");
        }
        if (batchSize != null && batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be at least 1, got " + batchSize);
        }
        Limits.weight(spec.commandLine(), "--jac-reg", jacReg);
        boolean lm = DeqLanguageModelConfig.presetNames().contains(preset);
        if (!lm && !ZooPreset.names().contains(preset)) {
            throw new ParameterException(spec.commandLine(), "unknown preset '" + preset + "'; zoo presets "
                    + ZooPreset.names() + ", language-model presets " + DeqLanguageModelConfig.presetNames());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("command", "deq4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        out.put("date", Instant.now().toString());
        out.put("preset", preset);
        out.put("gradient", gradient);
        out.put("jacReg", jacReg != null ? jacReg : 0.0);
        out.put("threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "(ND4J default)"));
        TrainBenchmark.Result r = lm ? languageModel(out) : vision(out);
        String unit = lm ? "tokens" : "examples";
        out.putAll(TrainBenchmark.json(r, unit));
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(Json.write(out));
        } else {
            print(w, r, unit);
        }
        w.flush();
        return 0;
    }

    /** The preset's stabilisers, with {@code --jac-reg}'s weight when it is given. */
    private DeqStabilisers stabilisers(DeqStabilisers preset) {
        return jacReg == null ? preset : preset.withJacobian(JacobianRegularization.of(jacReg));
    }

    private TrainBenchmark.Result vision(Map<String, Object> out) {
        ZooPreset p = ZooPreset.named(preset);
        int batch = batchSize != null ? batchSize : 64;
        DataSplits splits = ZooData.load(p.dataset(), Optional.ofNullable(data));
        ComputationGraph net = ImplicitResNet.build(AdamW.apply(ImplicitResNet.configuration(
                p.withStabilisers(stabilisers(p.stabilisers())), GradientStrategy.parse(gradient), seed),
                p.learningRate(), AdamW.DEFAULT_WEIGHT_DECAY));
        out.put("batchSize", batch);
        out.put("data", splits.location());
        out.put("parameters", net.params().length());
        try (ImageDataSetIterator train = ZooData.training(p.dataset(), splits.train(), batch, seed)) {
            return TrainBenchmark.run(net, train, warmup, steps, ds -> ds.getFeatures().size(0));
        }
    }

    private TrainBenchmark.Result languageModel(Map<String, Object> out) {
        DeqLanguageModelConfig base = DeqLanguageModelConfig.preset(preset);
        RunSettings run = new RunSettings(RunSettings.Kind.LANGUAGE_MODEL, preset, GradientStrategy.parse(gradient),
                Optional.ofNullable(data), batchSize != null ? batchSize : base.batchSize(), seed, base.learningRate(),
                base.weightDecay(), base.epochs(), Optional.of(base.tokenizer()), Optional.empty(), Optional.empty(),
                ReduceOnPlateau.Settings.PAPER, base.stabilisers().dropout(),
                stabilisers(base.stabilisers()).jacobian().weight());
        DeqLanguageModelConfig model = run.languageModel();
        TokenizedCorpus corpus = TokenizedCorpus.of(run.corpus(), run.createTokenizer());
        SplitTokens train = corpus.get(Split.TRAIN);
        WindowDataSetIterator it = WindowDataSetIterator.builder(train.windows(model.contextLength()), model.vocabSize())
                .batchSize(model.batchSize()).seed(seed).shuffle(true).build();
        it.setPreProcessor(DeqTransformerLM.labelsPreProcessor());
        ComputationGraph net = DeqTransformerLM.create(model, run.gradient(), seed);
        out.put("batchSize", model.batchSize());
        out.put("contextLength", model.contextLength());
        out.put("data", corpus.corpusName());
        out.put("parameters", net.params().length());
        return TrainBenchmark.run(net, it, warmup, steps, ds -> ds.getLabels().length());
    }

    private void print(PrintWriter w, TrainBenchmark.Result r, String unit) {
        w.printf(Locale.ROOT, "%s, gradient %s: %d timed steps after %d warm-up steps, %d %s per step%n", preset,
                gradient, r.stepNanos().length, warmup, r.itemsPerStep(), unit);
        w.printf(Locale.ROOT, "throughput   %10.1f %s/s%n", r.itemsPerSecond(), unit);
        w.printf(Locale.ROOT, "step         %10.1f ms median, %.1f ms mean%n", r.medianStepMillis(),
                r.totalNanos() / 1e6 / r.stepNanos().length);
        for (Map.Entry<String, Double> e : r.splitMillisPerStep().entrySet()) {
            w.printf(Locale.ROOT, "  %-11s%10.1f ms/step%n", e.getKey(), e.getValue());
        }
        r.peakRssBytes().ifPresent(v -> w.printf(Locale.ROOT, "peak RSS     %10.0f MiB (whole process)%n", v / 1048576.0));
        r.rssBytes().ifPresent(v -> w.printf(Locale.ROOT, "RSS at end   %10.0f MiB%n", v / 1048576.0));
    }
}
