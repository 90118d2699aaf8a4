package org.deq4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import org.deq4j.core.InvalidConfigException;
import org.nd4j.linalg.factory.Nd4j;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j sweep FILE}: runs every cell of a sweep file's grid ({@link SweepFile}) as a run of its
 * training command in its own folder, {@code OUT/<axis values>}, then writes the results table
 * ({@link SweepReport}). Rerun with the same file and folder, it skips the cells that are done, resumes the
 * ones that were stopped or killed after a checkpoint (with {@code --resume} and the cell's
 * {@link ResumeOptions per-invocation options}), and starts the rest; each cell folder keeps the values it was
 * started with ({@value #CELL_FILE}, itself a run file), and a rerun refuses a cell whose values changed.
 *
 * <p>The cells run in this JVM, one after the other, through the same command line as typed by hand: no
 * JVM and ND4J start-up per cell (seconds each), and the same options and checks by construction. A cell
 * that fails is reported and the sweep goes on; Ctrl-C stops the running cell with a checkpoint and ends
 * the sweep, to be resumed by running it again.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Runs a grid of training runs (e.g. gradient strategies x solver steps) from a sweep file, resumes"
                + " an interrupted sweep, and writes results.csv, results.md and results.png.")
final class SweepCommand implements Callable<Integer> {
    /** The values a cell was started with, in its folder: a run file of the cell. */
    static final String CELL_FILE = "cell.yaml";

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Sweep file (YAML); see docs/experiments.md.")
    private Path file;

    @Option(names = "--out", description = "Sweep folder (default: runs/sweeps/<FILE name without .yaml>).")
    private Path out;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Replace a shared value of every cell, e.g."
            + " --set data=/data/cifar-10-batches-bin (repeatable; KEY as in the file's base).")
    private Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--dry-run", description = "Check the sweep file and every cell's options, list the cells and"
            + " train nothing.")
    private boolean dryRun;

    @Override
    public Integer call() {
        PrintWriter console = spec.commandLine().getOut();
        SweepFile sweep = SweepFile.read(spec.commandLine(), file, spec.root());
        sweep = sweep.with(set, sweep.target().spec(spec.root()));
        Path dir = out != null ? out : Path.of("runs", "sweeps", file.getFileName().toString()
                .replaceFirst("\\.ya?ml$", "").replaceFirst("\\.sweep$", ""));
        List<SweepCell> cells = sweep.cells();
        console.printf("sweep %s: deq4j %s, %d cells (%s), folder %s%n", file, sweep.target().id(), cells.size(),
                sweep.describeAxes(), dir);
        console.flush();
        if (dryRun) {
            return dryRun(sweep, cells, dir, console);
        }
        prepare(dir);
        Set<Integer> failed = new HashSet<>();
        List<SweepResult> results = new ArrayList<>();
        boolean stopped = false;
        for (SweepCell cell : cells) {
            Path cellDir = dir.resolve(cell.folder());
            SweepResult before = SweepResult.inspect(cell, cellDir, sweep.target(), false);
            if (stopped || before.status() == SweepResult.Status.DONE) {
                if (!stopped) {
                    requireSameValues(cell, cellDir);
                    console.printf("[%d/%d] %s: done, skipped%n", cell.index(), cells.size(), cell.label());
                }
                results.add(before);
                continue;
            }
            List<String> args = new ArrayList<>(sweep.target().words());
            if (before.status().resumable()) {
                requireSameValues(cell, cellDir);
                args.add("--resume=" + cellDir);
                args.addAll(RunFile.args(sweep.target().spec(spec.root()), cell.values(),
                        o -> !ResumeOptions.PER_INVOCATION.contains(o.longestName()), sweep.path()));
            } else {
                writeCellFile(cell, cellDir);
                args.add("--out=" + cellDir);
                args.addAll(RunFile.args(sweep.target().spec(spec.root()), cell.values(), o -> false, sweep.path()));
            }
            console.printf("[%d/%d] %s: %s%n  deq4j %s%n", cell.index(), cells.size(), cell.label(),
                    before.status().resumable() ? "resuming (" + before.status().id() + ")" : "starting",
                    String.join(" ", args));
            console.flush();
            int code = run(args);
            if (code != 0) {
                failed.add(cell.index());
                console.printf("[%d/%d] %s: failed (exit code %d); the sweep goes on, and a rerun tries it again%n",
                        cell.index(), cells.size(), cell.label(), code);
            }
            SweepResult after = SweepResult.inspect(cell, cellDir, sweep.target(), code != 0);
            results.add(after);
            if (after.status() == SweepResult.Status.STOPPED) {
                stopped = true;
                console.printf("sweep stopped at cell %d of %d; run the same command again to resume it%n",
                        cell.index(), cells.size());
            }
            SweepReport.write(dir, sweep, partial(results, cells, dir, sweep));
        }
        SweepReport.write(dir, sweep, results);
        long done = results.stream().filter(r -> r.status() == SweepResult.Status.DONE).count();
        console.printf("sweep: %d of %d cells done%s; results %s, %s, %s%n", done, cells.size(),
                failed.isEmpty() ? "" : ", " + failed.size() + " failed " + failed, dir.resolve(SweepReport.CSV),
                dir.resolve(SweepReport.MARKDOWN), dir.resolve(SweepReport.PLOT));
        console.flush();
        return failed.isEmpty() ? 0 : ErrorReporter.FAILURE;
    }

    /** The results so far followed by the untouched state of the cells not reached yet. */
    private static List<SweepResult> partial(List<SweepResult> results, List<SweepCell> cells, Path dir,
            SweepFile sweep) {
        List<SweepResult> all = new ArrayList<>(results);
        for (SweepCell c : cells.subList(results.size(), cells.size())) {
            all.add(SweepResult.inspect(c, dir.resolve(c.folder()), sweep.target(), false));
        }
        return all;
    }

    /** Each cell's command with {@code --dry-run}: the options are converted and checked, nothing is written. */
    private int dryRun(SweepFile sweep, List<SweepCell> cells, Path dir, PrintWriter console) {
        for (SweepCell cell : cells) {
            List<String> args = new ArrayList<>(sweep.target().words());
            args.add("--out=" + dir.resolve(cell.folder()));
            args.addAll(RunFile.args(sweep.target().spec(spec.root()), cell.values(), o -> false, sweep.path()));
            args.add("--dry-run");
            console.printf("[%d/%d] %s%n  deq4j %s%n", cell.index(), cells.size(), cell.label(), String.join(" ", args));
            console.flush();
            int code = run(args);
            if (code != 0) {
                return code;
            }
        }
        return 0;
    }

    /** Runs {@code deq4j args...} in this JVM with this command's console and verbosity. */
    private int run(List<String> args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        List<String> a = new ArrayList<>(args);
        if (Boolean.TRUE.equals(spec.root().findOption("--verbose").getValue())) {
            a.add("--verbose");
        }
        try {
            return cl.execute(a.toArray(new String[0]));
        } finally {
            // The finished cell's model is gone, but ND4J workspaces are per thread and outlive it (DL4J's and
            // each DEQ runtime's, whose ids are unique per model): without this every cell adds its own.
            Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        }
    }

    private void prepare(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.copy(file, dir.resolve("sweep.yaml"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("preparing the sweep folder " + dir + " failed", e);
        }
    }

    private static void writeCellFile(SweepCell cell, Path cellDir) {
        try {
            Files.createDirectories(cellDir);
            Files.writeString(cellDir.resolve(CELL_FILE), "# the values of sweep cell " + cell.label() + "\n"
                    + YamlFile.toYaml(cell.values()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + cellDir.resolve(CELL_FILE) + " failed", e);
        }
    }

    /**
     * @throws InvalidConfigException if the cell's folder was started with other values than the sweep file
     *         now gives it (the results would mix two settings)
     */
    private void requireSameValues(SweepCell cell, Path cellDir) {
        Path f = cellDir.resolve(CELL_FILE);
        Map<String, String> started = Files.exists(f) ? RunFile.read(spec.commandLine(), f).values() : Map.of();
        if (!started.equals(cell.values())) {
            throw new InvalidConfigException("the sweep cell " + cellDir + " was started with " + started
                    + " but the sweep file now gives it " + cell.values() + "; run the sweep into another --out, or"
                    + " delete that folder to start the cell again");
        }
    }
}
