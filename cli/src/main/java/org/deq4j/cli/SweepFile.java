package org.deq4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.deq4j.core.config.NearestName;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * A sweep file: a grid of runs of one training command, in YAML. Keys:
 * <ul>
 *   <li>{@code command}: {@code train} or {@code lm train};</li>
 *   <li>{@code run} (optional): a run file ({@link RunFile}; a relative path is relative to the sweep file)
 *       whose values every cell starts from;</li>
 *   <li>{@code base} (optional): option values shared by every cell, replacing the run file's;</li>
 *   <li>{@code axes}: option name to a list of values; the grid is every combination, the first axis
 *       outermost, and an axis replaces the value of its option from {@code run} or {@code base}.</li>
 * </ul>
 * Keys of {@code base} and {@code axes} are the command's long option names without {@code --}, as in a
 * run file; {@code out} and {@code resume} are the sweep's to set.
 *
 * @param path    where the file was read from
 * @param target  the training command of every cell
 * @param base    the values every cell shares, in order
 * @param axes    each axis's option and values, in order
 */
record SweepFile(Path path, SweepTarget target, Map<String, String> base, Map<String, List<String>> axes) {
    private static final List<String> KEYS = List.of("command", "run", "base", "axes");
    /** Options a sweep sets itself for each cell, besides those no run file may set. */
    private static final Set<String> RESERVED = Set.of("config", "help", "version", "out", "resume", "dry-run");

    SweepFile {
        base = Collections.unmodifiableMap(new LinkedHashMap<>(base));
        axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
    }

    /**
     * Reads and checks {@code file}: its keys, its command, every option name against that command (with the
     * nearest name for an unknown one), and that the cells' folder names differ.
     *
     * @param cl   the sweep command's command line, for errors
     * @param root the root command, whose subcommands are the targets
     * @throws ParameterException naming the file and the problem
     */
    static SweepFile read(CommandLine cl, Path file, CommandSpec root) {
        Map<String, Object> doc = YamlFile.readMapping(cl, file, "sweep file");
        for (String key : doc.keySet()) {
            if (!KEYS.contains(key)) {
                throw new ParameterException(cl, file + ": unknown key '" + key + "'"
                        + NearestName.among(key, KEYS).map(n -> "; did you mean '" + n + "'?").orElse("")
                        + " (a sweep file has " + String.join(", ", KEYS) + "; the options go under base and axes)");
            }
        }
        if (!doc.containsKey("command") || !doc.containsKey("axes")) {
            throw new ParameterException(cl, file + ": a sweep file needs 'command' (" + SweepTarget.names()
                    + ") and 'axes'");
        }
        SweepTarget target = SweepTarget.named(cl, file, YamlFile.scalar(cl, file, "command", doc.get("command")));
        CommandSpec command = target.spec(root);
        Map<String, String> base = new LinkedHashMap<>();
        if (doc.containsKey("run")) {
            Path run = file.toAbsolutePath().resolveSibling(YamlFile.scalar(cl, file, "run", doc.get("run")));
            RunFile r = RunFile.read(cl, run);
            RunFile.requireOptions(command, r.values().keySet(), run, "", RESERVED);
            base.putAll(r.values());
        }
        if (doc.containsKey("base")) {
            if (!(doc.get("base") instanceof Map<?, ?> b)) {
                throw new ParameterException(cl, file + ": 'base' must be a mapping of options to values");
            }
            Map<String, String> values = YamlFile.scalars(cl, file, b, "base.");
            RunFile.requireOptions(command, values.keySet(), file, "base.", RESERVED);
            base.putAll(values);
        }
        if (!(doc.get("axes") instanceof Map<?, ?> a) || a.isEmpty()) {
            throw new ParameterException(cl, file + ": 'axes' must map at least one option to a list of values, e.g."
                    + " 'gradient: [reversible, unrolled]'");
        }
        Map<String, List<String>> axes = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : a.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof List<?> list) || list.isEmpty()) {
                throw new ParameterException(cl, file + ": axis '" + key + "' must be a non-empty list, e.g. [1, 2]");
            }
            List<String> values = new ArrayList<>();
            for (Object v : list) {
                String value = YamlFile.scalar(cl, file, "axes." + key, v);
                if (values.contains(value)) {
                    throw new ParameterException(cl, file + ": axis '" + key + "' lists '" + value + "' twice");
                }
                values.add(value);
            }
            axes.put(key, values);
        }
        RunFile.requireOptions(command, axes.keySet(), file, "axes.", RESERVED);
        SweepFile sweep = new SweepFile(file, target, base, axes);
        Set<String> folders = new HashSet<>();
        for (SweepCell c : sweep.cells()) {
            if (!folders.add(c.folder())) {
                throw new ParameterException(cl, file + ": two cells would share the folder '" + c.folder()
                        + "'; make the axis values differ in letters or digits");
            }
        }
        return sweep;
    }

    /**
     * This sweep with {@code values} replacing or adding shared values (the sweep command's {@code --set}).
     *
     * @throws ParameterException if a key is not an option of the command, is reserved, or is an axis
     */
    SweepFile with(Map<String, String> values, CommandSpec command) {
        RunFile.requireOptions(command, values.keySet(), Path.of("--set"), "", RESERVED);
        for (String key : values.keySet()) {
            if (axes.containsKey(key)) {
                throw new ParameterException(command.commandLine(), "--set " + key + ": '" + key + "' is an axis of "
                        + path + "; edit the axis in the file");
            }
        }
        Map<String, String> b = new LinkedHashMap<>(base);
        b.putAll(values);
        return new SweepFile(path, target, b, axes);
    }

    /** Every cell of the grid, the first axis outermost. */
    List<SweepCell> cells() {
        List<Map<String, String>> grid = new ArrayList<>();
        grid.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<String>> axis : axes.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : grid) {
                for (String v : axis.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(axis.getKey(), v);
                    next.add(m);
                }
            }
            grid = next;
        }
        List<SweepCell> cells = new ArrayList<>();
        for (Map<String, String> point : grid) {
            Map<String, String> values = new LinkedHashMap<>(base);
            values.putAll(point);
            cells.add(new SweepCell(cells.size() + 1, point, values));
        }
        return cells;
    }

    /** The axes as {@code gradient × solver-steps}. */
    String describeAxes() {
        return axes.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue().size() + ")")
                .collect(Collectors.joining(" × "));
    }
}
