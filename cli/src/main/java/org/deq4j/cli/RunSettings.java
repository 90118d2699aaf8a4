package org.deq4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.core.reg.JacobianRegularization;
import org.deq4j.lm.corpus.Corpora;
import org.deq4j.lm.corpus.Corpus;
import org.deq4j.lm.model.DeqLanguageModelConfig;
import org.deq4j.lm.token.Tokenizer;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.CheckpointException;
import org.deq4j.samediff.dl4j.DeqStabilisers;
import org.deq4j.train.ReduceOnPlateau;
import org.deq4j.zoo.model.ZooPreset;

/**
 * What a training run of the command line was started with, for both kinds of model: stored in every
 * checkpoint it writes ({@link Checkpoint#settings()}), so {@code --resume}, {@code eval}, {@code lm eval}
 * and {@code lm generate} rebuild the same model, data and tokenizer from the checkpoint alone and can
 * tell a vision checkpoint from a language-model one.
 *
 * @param kind         which command trained the run
 * @param preset       a {@link ZooPreset} name (vision) or a {@link DeqLanguageModelConfig#preset} name
 * @param gradient     how the DEQ layers are trained
 * @param data         the data folder or corpus path, or empty for the embedded data
 * @param batchSize    examples (vision) or windows (language model) per training batch
 * @param seed         seed of the initialisation, the shuffles, augmentation and the trainer
 * @param learningRate base learning rate of AdamW
 * @param weightDecay  AdamW's decoupled weight decay
 * @param epochs       epochs the run was started for
 * @param tokenizer    the language model's {@link Tokenizer#named} name; empty for vision
 * @param solverSteps  forward solver steps of every DEQ, replacing the preset's; empty for the preset's
 * @param beta         relaxation β of every DEQ, replacing the preset's; empty for the preset's
 * @param lrSchedule   the learning-rate rule ({@link LrSchedule}); stored only when it is not the paper's, so
 *                     that checkpoints from before these settings existed read back unchanged
 * @param dropout      locked dropout inside the DEQ cells ({@code --dropout}; the preset's when not given);
 *                     stored only when on, so checkpoints written before the setting read as "off"
 * @param jacReg       weight λ of the DEQ layers' Jacobian regularisation ({@code --jac-reg}); 0 for none.
 *                     Stored only when not 0, so settings of older runs read as 0
 */
record RunSettings(Kind kind, String preset, GradientStrategy gradient, Optional<Path> data, int batchSize, long seed,
        double learningRate, double weightDecay, int epochs, Optional<String> tokenizer, Optional<Integer> solverSteps,
        Optional<Double> beta, ReduceOnPlateau.Settings lrSchedule, VariationalDropout dropout, double jacReg) {

    /** The two kinds of run, by the command that trains them. */
    enum Kind {
        VISION("train", "eval"), LANGUAGE_MODEL("lm train", "lm eval");

        private final String trainCommand;
        private final String evalCommand;

        Kind(String trainCommand, String evalCommand) {
            this.trainCommand = trainCommand;
            this.evalCommand = evalCommand;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The command that trains this kind, e.g. {@code lm train}. */
        String trainCommand() {
            return trainCommand;
        }

        /** The command that evaluates this kind, e.g. {@code lm eval}. */
        String evalCommand() {
            return evalCommand;
        }

        static Kind parse(String id) {
            return Arrays.stream(values()).filter(k -> k.id().equals(id)).findFirst()
                    .orElseThrow(() -> new InvalidConfigException("unknown run kind '" + id + "'"));
        }
    }

    private static final Set<String> KEYS = Set.of("kind", "preset", "gradient", "data", "batchSize", "seed",
            "learningRate", "weightDecay", "epochs", "tokenizer", "solverSteps", "beta", "lrSchedule", "dropout",
            "jacReg");

    /**
     * @throws InvalidConfigException if the preset or tokenizer is unknown for the kind, a language model has
     *         no tokenizer or a vision run has one, a number is out of range, or β is out of range for the
     *         gradient strategy
     */
    RunSettings {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(gradient, "gradient");
        Objects.requireNonNull(lrSchedule, "lrSchedule");
        if (solverSteps.isPresent() && solverSteps.get() < 1) {
            throw new InvalidConfigException("solver steps must be at least 1, got " + solverSteps.get());
        }
        Objects.requireNonNull(dropout, "dropout");
        switch (kind) {
            case VISION -> {
                ZooPreset p = ZooPreset.named(preset);
                if (tokenizer.isPresent()) {
                    throw new InvalidConfigException("a vision run has no tokenizer, got '" + tokenizer.get() + "'");
                }
                requireFits(gradient, solverSteps.orElse(p.stages().get(0).steps()), beta, p.beta(), p.tol());
            }
            case LANGUAGE_MODEL -> {
                DeqLanguageModelConfig p = DeqLanguageModelConfig.preset(preset);
                Tokenizer.named(tokenizer.orElseThrow(
                        () -> new InvalidConfigException("a language-model run needs a tokenizer")));
                requireFits(gradient, solverSteps.orElse(p.maxSteps()), beta, p.beta(), p.tol());
            }
        }
        if (batchSize < 1 || epochs < 1) {
            throw new InvalidConfigException("batch size and epochs must be at least 1, got " + batchSize + " and "
                    + epochs);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate) || !(weightDecay >= 0)) {
            throw new InvalidConfigException("learning rate must be positive and finite and weight decay >= 0, got "
                    + learningRate + " and " + weightDecay);
        }
        JacobianRegularization.of(jacReg);
        data = data.map(Path::toAbsolutePath);
    }

    /** @throws InvalidConfigException naming β and the gradient if the gradient's solver refuses this β */
    private static void requireFits(GradientStrategy gradient, int steps, Optional<Double> beta, double presetBeta,
            double tol) {
        try {
            gradient.config(steps, beta.orElse(presetBeta), tol);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("beta " + beta.orElse(presetBeta) + (beta.isPresent() ? "" : " (the preset's)")
                    + " does not suit gradient " + gradient.id() + ": " + e.getMessage());
        }
    }

    /**
     * Prints {@code run}'s settings, one {@code key: value} line each (what a dry run shows).
     *
     * @return 0, the exit code of a dry run
     */
    static int print(PrintWriter out, RunSettings run) {
        out.println("run settings (dry run: nothing trained):");
        run.toMap().forEach((k, v) -> out.println("  " + k + ": " + v));
        out.println("  stabilisers: " + run.stabilisers().describe());
        if (run.lrSchedule().equals(ReduceOnPlateau.Settings.PAPER)) {
            out.println("  lrSchedule: " + LrSchedule.format(run.lrSchedule()) + " (the paper's)");
        }
        out.flush();
        return 0;
    }

    /** The settings as stored in a checkpoint. */
    Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", kind.id());
        m.put("preset", preset);
        m.put("gradient", gradient.id());
        data.ifPresent(d -> m.put("data", d.toString()));
        m.put("batchSize", Integer.toString(batchSize));
        m.put("seed", Long.toString(seed));
        m.put("learningRate", Double.toString(learningRate));
        m.put("weightDecay", Double.toString(weightDecay));
        m.put("epochs", Integer.toString(epochs));
        tokenizer.ifPresent(t -> m.put("tokenizer", t));
        solverSteps.ifPresent(n -> m.put("solverSteps", Integer.toString(n)));
        beta.ifPresent(b -> m.put("beta", Double.toString(b)));
        if (!lrSchedule.equals(ReduceOnPlateau.Settings.PAPER)) {
            m.put("lrSchedule", LrSchedule.format(lrSchedule));
        }
        if (dropout.isOn()) {
            m.put("dropout", Double.toString(dropout.rate()));
        }
        if (jacReg != 0) {
            m.put("jacReg", Double.toString(jacReg));
        }
        return m;
    }

    /**
     * The settings stored in {@code checkpoint}, read without loading its model.
     *
     * @throws CheckpointException if the file is not a readable checkpoint or its settings are missing or invalid
     */
    static RunSettings of(Path checkpoint) {
        Map<String, String> m = Checkpoint.readSettings(checkpoint);
        try {
            return fromMap(m);
        } catch (InvalidConfigException | NumberFormatException e) {
            throw new CheckpointException(checkpoint, "its run settings are not deq4j's (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The settings stored in {@code checkpoint}, which must be of {@code kind}.
     *
     * @throws CheckpointException naming the checkpoint's kind and the command for it otherwise
     */
    static RunSettings of(Path checkpoint, Kind kind) {
        RunSettings s = of(checkpoint);
        if (s.kind != kind) {
            throw new CheckpointException(checkpoint, "this is a " + s.kind.id() + " checkpoint (trained by deq4j "
                    + s.kind.trainCommand() + "); use deq4j " + s.kind.evalCommand());
        }
        return s;
    }

    /** @throws InvalidConfigException naming an unknown or missing key or an invalid value */
    static RunSettings fromMap(Map<String, String> m) {
        Set<String> unknown = new TreeSet<>(m.keySet());
        unknown.removeAll(KEYS);
        if (!unknown.isEmpty()) {
            throw new InvalidConfigException("unknown run settings " + unknown);
        }
        return new RunSettings(Kind.parse(required(m, "kind")), required(m, "preset"),
                GradientStrategy.parse(required(m, "gradient")), Optional.ofNullable(m.get("data")).map(Path::of),
                Integer.parseInt(required(m, "batchSize")), Long.parseLong(required(m, "seed")),
                Double.parseDouble(required(m, "learningRate")), Double.parseDouble(required(m, "weightDecay")),
                Integer.parseInt(required(m, "epochs")), Optional.ofNullable(m.get("tokenizer")),
                Optional.ofNullable(m.get("solverSteps")).map(Integer::parseInt),
                Optional.ofNullable(m.get("beta")).map(Double::parseDouble),
                Optional.ofNullable(m.get("lrSchedule")).map(LrSchedule::parse).orElse(ReduceOnPlateau.Settings.PAPER),
                new VariationalDropout(Double.parseDouble(m.getOrDefault("dropout", "0"))),
                Double.parseDouble(m.getOrDefault("jacReg", "0")));
    }

    private static String required(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new InvalidConfigException("run settings lack '" + key + "'");
        }
        return v;
    }

    /** This run with another data path (an evaluation on other data). */
    RunSettings withData(Path other) {
        return new RunSettings(kind, preset, gradient, Optional.of(other), batchSize, seed, learningRate, weightDecay,
                epochs, tokenizer, solverSteps, beta, lrSchedule, dropout, jacReg);
    }

    /** The DEQ layers' stabilisers: {@link #dropout} and Jacobian regularisation of weight {@link #jacReg}. */
    DeqStabilisers stabilisers() {
        DeqStabilisers preset = kind == Kind.VISION ? ZooPreset.named(this.preset).stabilisers()
                : DeqLanguageModelConfig.preset(this.preset).stabilisers();
        // the preset's Jacobian settings (frequency, probes) stay unless the run changed the weight
        return preset.withDropout(dropout).withJacobian(jacReg == preset.jacobian().weight() ? preset.jacobian()
                : JacobianRegularization.of(jacReg));
    }

    /** The zoo preset of a vision run, with this run's solver steps and β. */
    ZooPreset zooPreset() {
        requireKind(Kind.VISION);
        ZooPreset p = ZooPreset.named(preset);
        p = solverSteps.map(p::withSteps).orElse(p);
        return beta.map(p::withBeta).orElse(p).withStabilisers(stabilisers());
    }

    /**
     * The language model: the preset with the vocabulary adapted to the tokenizer and the solver steps, β,
     * batch size, learning rate, weight decay and epochs of this run.
     */
    DeqLanguageModelConfig languageModel() {
        requireKind(Kind.LANGUAGE_MODEL);
        DeqLanguageModelConfig p = DeqLanguageModelConfig.preset(preset);
        String t = tokenizer.orElseThrow();
        int vocab = t.equals(p.tokenizer()) ? p.vocabSize() : createTokenizer().paddedVocabSize();
        return new DeqLanguageModelConfig(p.name(), t, vocab, p.contextLength(), p.dModel(), p.heads(),
                p.mlpHidden(), p.twoHiddenLayers(), p.layerNormEps(), beta.orElse(p.beta()), p.tol(),
                solverSteps.orElse(p.maxSteps()), batchSize,
                learningRate, weightDecay, epochs, stabilisers());
    }

    /** A new tokenizer of this language-model run. */
    Tokenizer createTokenizer() {
        requireKind(Kind.LANGUAGE_MODEL);
        return Tokenizer.named(tokenizer.orElseThrow());
    }

    /** The corpus of this language-model run. */
    Corpus corpus() {
        requireKind(Kind.LANGUAGE_MODEL);
        return data.map(Corpora::fromPath).orElseGet(Corpora::embedded);
    }

    private void requireKind(Kind expected) {
        if (kind != expected) {
            throw new IllegalStateException("a " + kind.id() + " run has no " + expected.id() + " settings");
        }
    }
}
