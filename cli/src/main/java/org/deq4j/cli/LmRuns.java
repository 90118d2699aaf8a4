package org.deq4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.lm.corpus.SplitTokens;
import org.deq4j.lm.eval.LanguageModelScore;
import org.deq4j.lm.model.TransformerCell;
import org.deq4j.train.Checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;

/** Shared helpers of the {@code lm} commands: locating checkpoints and reporting scores. */
final class LmRuns {
    /** Results of {@code lm train}, written to the output directory. */
    static final String RESULTS_NAME = "lm-results.json";
    /** Evaluation batch size: windows per inference pass. */
    static final int EVAL_BATCH = 64;

    private LmRuns() {
    }

    /** A checkpoint file, or the checkpoint inside a run directory. */
    static Path checkpointFile(Path path) {
        return Files.isDirectory(path) ? Checkpoint.fileIn(path) : path;
    }

    /** The run directory holding a checkpoint file. */
    static Path runDirectory(Path checkpointFile) {
        Path parent = checkpointFile.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    /** The model stored in a checkpoint (the transformer cell type registered first). */
    static ComputationGraph loadModel(Path checkpointFile) {
        TransformerCell.register();
        return Checkpoint.read(checkpointFile).graph();
    }

    /** A score as a JSON-ready map. */
    static Map<String, Object> scoreJson(LanguageModelScore s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", s.tokens());
        m.put("bytes", s.bytes());
        m.put("nllPerToken", s.nllPerToken());
        m.put("perplexity", s.perplexity());
        m.put("bitsPerByte", s.bitsPerByte());
        return m;
    }

    /** A split's description for reports. */
    static String describe(SplitTokens split) {
        return split.split().label() + " split: " + split.size() + " tokens, " + split.textBytes() + " bytes";
    }
}
