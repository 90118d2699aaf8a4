package org.deq4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.lm.generate.Sampler;
import org.deq4j.lm.generate.TextGenerator;
import org.deq4j.lm.model.DeqTransformerLM;
import org.deq4j.lm.token.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code deq4j lm generate}: samples text from a checkpointed language model (temperature, top-k, seed). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates text after a prompt with a trained language model.")
final class LmGenerateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint;

    @Mixin
    private EvalFactorOption evalFactor;

    @Option(names = "--warm-start", description = "Start each token's solve from the previous token's fixed point"
            + " (on the core engine; see docs/lm.md for when it pays).")
    private boolean warmStart;

    @Option(names = "--stats", description = "Print the DEQ cell evaluations spent to standard error.")
    private boolean stats;

    @Option(names = "--prompt", description = "Text to continue (default: the start of a document).", defaultValue = "")
    private String prompt;

    @Option(names = "--tokens", description = "Tokens to generate (default: ${DEFAULT-VALUE}).", defaultValue = "200")
    private int tokens;

    @Option(names = "--temperature", description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).",
            defaultValue = "0.8")
    private double temperature;

    @Option(names = "--top-k", description = "Sample only among the k most probable tokens (default: ${DEFAULT-VALUE}).",
            defaultValue = "40")
    private int topK;

    @Option(names = "--seed", description = "Sampling seed (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    private long seed;

    @Override
    public Integer call() {
        Limits.atLeastOne(spec.commandLine(), "--tokens", tokens);
        Limits.atLeastOne(spec.commandLine(), "--top-k", topK);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new ParameterException(spec.commandLine(), "--temperature must be 0 (greedy) or positive, got "
                    + temperature);
        }
        if (prompt.indexOf('\uFFFD') >= 0) {
            // the JVM decoded the argument with the platform charset and replaced what did not fit
            throw new ParameterException(spec.commandLine(), "--prompt is not valid text in the console's encoding ("
                    + System.getProperty("sun.jnu.encoding") + "); run in a UTF-8 locale (e.g. LANG=C.UTF-8)");
        }
        Tokenizer tokenizer = checkpoint.settings(RunSettings.Kind.LANGUAGE_MODEL).createTokenizer();
        int[] ids = prompt.isEmpty() ? tokenizer.documentSeparator() : tokenizer.encode(prompt);
        if (ids.length == 0) {
            throw new InvalidConfigException("the prompt is empty and tokenizer '" + tokenizer.name()
                    + "' has no document separator to start from; give --prompt");
        }
        ComputationGraph graph = DeqTransformerLM.withInferenceSettings(checkpoint.model(), evalFactor.budget(),
                warmStart);
        TextGenerator generator = warmStart ? TextGenerator.warmStarted(graph) : new TextGenerator(graph);
        PrintWriter out = spec.commandLine().getOut();
        out.print(prompt);
        int[] generated = generator.generate(ids, tokens, new Sampler(temperature, topK), seed, t -> { });
        out.println(tokenizer.decode(generated));
        out.flush();
        if (stats) {
            PrintWriter err = spec.commandLine().getErr();
            err.printf(Locale.ROOT, "%d tokens, %d DEQ cell evaluations (%.1f per token; warm start %s)%n", tokens,
                    generator.cellEvaluations(), (double) generator.cellEvaluations() / tokens, warmStart ? "on" : "off");
            err.flush();
        }
        return 0;
    }
}
