package org.deq4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.train.Checkpoint;

import picocli.CommandLine.Option;

/**
 * The {@code --checkpoint} option of the commands that use a trained model ({@code eval}, {@code lm eval},
 * {@code lm generate}; a picocli mixin): a checkpoint file or the run directory holding it, and what is
 * read from there.
 */
final class CheckpointOption {
    @Option(names = "--checkpoint", required = true, description = "checkpoint.zip or the run directory holding it.")
    private Path checkpoint;

    /** The checkpoint file: as given, or the checkpoint inside the given run directory. */
    Path file() {
        return Files.isDirectory(checkpoint) ? Checkpoint.fileIn(checkpoint) : checkpoint;
    }

    /**
     * The settings of the run that wrote the checkpoint, stored in it; read before the model, so that a
     * checkpoint of the other kind is refused without loading it.
     *
     * @throws org.deq4j.train.CheckpointException if the file is not a checkpoint of {@code kind}
     */
    RunSettings settings(RunSettings.Kind kind) {
        return RunSettings.of(file(), kind);
    }

    /** The model stored in the checkpoint (graph cells register themselves through ServiceLoader). */
    ComputationGraph model() {
        return Checkpoint.read(file()).graph();
    }
}
