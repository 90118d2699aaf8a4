package org.deq4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.lm.model.TransformerCell;
import org.deq4j.train.Checkpoint;

import picocli.CommandLine.Option;

/**
 * The {@code --checkpoint} option of the {@code lm} commands that use a trained model (a picocli mixin):
 * a checkpoint file or the run directory holding it, and what is read from there.
 */
final class LmCheckpoint {
    @Option(names = "--checkpoint", required = true, description = "checkpoint.zip or the run directory holding it.")
    private Path checkpoint;

    /** The checkpoint file: as given, or the checkpoint inside the given run directory. */
    Path file() {
        return Files.isDirectory(checkpoint) ? Checkpoint.fileIn(checkpoint) : checkpoint;
    }

    /**
     * The settings of the run that wrote the checkpoint, stored in it.
     *
     * @throws org.deq4j.train.CheckpointException if the file is not a language-model checkpoint
     */
    RunSettings settings() {
        return RunSettings.of(file(), RunSettings.Kind.LANGUAGE_MODEL);
    }

    /** The model stored in the checkpoint (the transformer cell type registered first). */
    ComputationGraph model() {
        TransformerCell.register();
        return Checkpoint.read(file()).graph();
    }
}
