package org.deq4j.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Function;

import org.nd4j.shade.jackson.databind.JsonNode;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The commands a sweep can run, with what the sweep reads from a finished run: the results file the command
 * writes at the end and the final evaluation in it.
 */
enum SweepTarget {
    /** {@code deq4j train}: test accuracy of the last finished epoch (none before the first). */
    TRAIN(List.of("train"), TrainCommand.RESULTS_NAME, "test_accuracy", json -> json.path("testAccuracy")),
    /** {@code deq4j lm train}: validation perplexity of the final model. */
    LM_TRAIN(List.of("lm", "train"), LmRuns.RESULTS_NAME, "validation_perplexity",
            json -> json.path("validation").path("perplexity"));

    private final List<String> words;
    private final String resultsName;
    private final String evaluationName;
    private final Function<JsonNode, JsonNode> evaluation;

    SweepTarget(List<String> words, String resultsName, String evaluationName, Function<JsonNode, JsonNode> evaluation) {
        this.words = words;
        this.resultsName = resultsName;
        this.evaluationName = evaluationName;
        this.evaluation = evaluation;
    }

    /** The command's words, e.g. {@code [lm, train]}. */
    List<String> words() {
        return words;
    }

    /** How the sweep file names it, e.g. {@code lm train}. */
    String id() {
        return String.join(" ", words);
    }

    /** The results file the command writes into its output folder when it ends. */
    String resultsName() {
        return resultsName;
    }

    /** The column of the final evaluation in the sweep's results. */
    String evaluationName() {
        return evaluationName;
    }

    /** The final evaluation in a results file, if the run made one. */
    OptionalDouble evaluation(JsonNode results) {
        JsonNode v = evaluation.apply(results);
        return v.isNumber() ? OptionalDouble.of(v.asDouble()) : OptionalDouble.empty();
    }

    /** The command's spec under {@code root}. */
    CommandSpec spec(CommandSpec root) {
        CommandSpec s = root;
        for (String w : words) {
            s = s.subcommands().get(w).getCommandSpec();
        }
        return s;
    }

    /** The targets' names, for messages. */
    static String names() {
        return String.join(" or ", Arrays.stream(values()).map(SweepTarget::id).toList());
    }

    /** @throws ParameterException of {@code cl} for any other command */
    static SweepTarget named(CommandLine cl, Path file, String command) {
        String c = command.trim().replaceAll("\\s+", " ");
        return Arrays.stream(values()).filter(t -> t.id().equals(c)).findFirst().orElseThrow(
                () -> new ParameterException(cl, file + ": a sweep runs " + names() + ", not '" + command + "'"));
    }
}
