package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code lm eval} on the shipped checkpoint reproduces the validation perplexity and bits per byte that the
 * training run recorded in its {@code lm-results.json}, and the unigram baseline's. A golden regression test
 * (tag {@code golden}, part of the default suite and of CI).
 */
@Tag("golden")
class LmPretrainedEvalTest {
    static final Path RUN = Path.of("..", "lm", "pretrained", "austen-micro");

    @Test
    void evalReproducesTheRecordedValidationScore() throws Exception {
        JsonNode recorded = new ObjectMapper().readTree(Files.readString(RUN.resolve(LmRuns.RESULTS_NAME)));
        int windows = recorded.get("evalWindows").asInt();
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        int code = cli.execute("lm", "eval", "--checkpoint", RUN.toString(), "--max-windows", Integer.toString(windows),
                "--json");
        assertEquals(0, code, out.toString());
        JsonNode measured = new ObjectMapper().readTree(out.toString());
        JsonNode expected = recorded.get("validation");
        assertEquals(expected.get("tokens").asLong(), measured.get("tokens").asLong());
        double ppl = expected.get("perplexity").asDouble();
        String why = "golden value from the shipped run: the evaluation's arithmetic changed (or the ND4J native"
                + " library did, which may move the last digits; then re-record it)";
        assertEquals(ppl, measured.get("perplexity").asDouble(), 1e-6 * ppl, why);
        assertEquals(expected.get("bitsPerByte").asDouble(), measured.get("bitsPerByte").asDouble(), 1e-6, why);
        assertTrue(ppl < recorded.get("unigramValidation").get("perplexity").asDouble(), "beats the unigram baseline");
        // The eval also reports baselines fitted on the training split and scored on the same tokens (the recorded
        // run predates the Kneser-Ney one); the unigram one reproduces the recorded value.
        assertEquals(recorded.get("unigramValidation").get("bitsPerByte").asDouble(),
                measured.get("unigram").get("bitsPerByte").asDouble(), 1e-9);
        JsonNode kn = measured.get("kneserNey5");
        assertEquals(5, kn.get("order").asInt());
        assertTrue(kn.get("bitsPerByte").asDouble() < measured.get("unigram").get("bitsPerByte").asDouble(),
                "the 5-gram baseline beats the unigram one");
    }
}
