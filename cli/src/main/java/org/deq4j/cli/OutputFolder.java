package org.deq4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.deq4j.train.Checkpoint;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Checks a new run's {@code --out} folder before anything is trained: it must be a folder (or not
 * exist yet), be writable, and hold no earlier run's checkpoint. Refusing here costs nothing; finding out
 * at the first checkpoint would lose an epoch.
 */
final class OutputFolder {
    private OutputFolder() {
    }

    /**
     * Creates {@code dir} if needed and checks it.
     *
     * @throws ParameterException naming {@code --out} if it is a file, cannot be created or written, or
     *         already holds a checkpoint
     */
    static Path prepare(CommandLine cl, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ParameterException(cl, "--out " + dir + " is a file, not a folder");
        }
        if (Files.exists(Checkpoint.fileIn(dir))) {
            throw new ParameterException(cl, dir + " already holds a checkpoint: continue it with --resume " + dir
                    + " or choose another --out");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ParameterException(cl, "--out " + dir + " cannot be created: " + e.getMessage());
        }
        if (!Files.isWritable(dir)) {
            throw new ParameterException(cl, "--out " + dir + " is not writable");
        }
        return dir;
    }
}
