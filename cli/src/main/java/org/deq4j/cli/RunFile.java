package org.deq4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.deq4j.core.config.NearestName;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * A run file: the options of one training command as a YAML mapping, each key a long option name without
 * {@code --} ({@code solver-steps: 4}), each value a scalar read as the text typed after the option. Every
 * option of the command is a key, including those added later, and the command line's parsing converts and
 * checks the values, so a run file means exactly what the same options typed by hand mean; relative paths
 * are relative to the working directory, as there.
 *
 * <p>Read by {@link YamlFile}; {@link RunFileOption} applies a run file given as {@code --config FILE}.
 *
 * @param path   where the file was read from, for messages
 * @param values option name (without {@code --}) to value, in the file's order
 */
record RunFile(Path path, Map<String, String> values) {
    /** Options a run file may not set: the file itself and picocli's help requests. */
    private static final Set<String> RESERVED = Set.of("config", "help", "version");

    RunFile {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * Reads {@code file}.
     *
     * @throws ParameterException of {@code cl} if the file cannot be read, is not a YAML mapping, repeats a
     *         key, or has a value that is not a single value
     */
    static RunFile read(CommandLine cl, Path file) {
        Map<String, Object> root = YamlFile.readMapping(cl, file, "run file");
        if (root.containsKey("command") && root.containsKey("axes")) {
            throw new ParameterException(cl, file + " is a sweep file (it has 'command' and 'axes'): run it with"
                    + " deq4j sweep " + file);
        }
        return new RunFile(file, YamlFile.scalars(cl, file, root, ""));
    }

    /**
     * @throws ParameterException of {@code command} naming the first key that is not one of its options (with
     *         the nearest option name) or that a run file may not set
     */
    void requireOptionsOf(CommandSpec command) {
        requireOptions(command, values.keySet(), path, "", RESERVED);
    }

    /**
     * Checks that every key of {@code keys} is a long option of {@code command} without {@code --}, and none of
     * {@code reserved}.
     *
     * @throws ParameterException of {@code command} naming the key, the nearest option name and the file
     */
    static void requireOptions(CommandSpec command, Iterable<String> keys, Path file, String where,
            Set<String> reserved) {
        List<String> names = optionNames(command).stream().filter(n -> !reserved.contains(n)).toList();
        String cmd = "deq4j " + command.qualifiedName(" ").replaceFirst("^deq4j ", "");
        for (String key : keys) {
            if (reserved.contains(key)) {
                throw new ParameterException(command.commandLine(), file + ": '" + where + key + "' cannot be set"
                        + " here: " + switch (key) {
                            case "config" -> "run files do not nest";
                            case "out", "resume" -> "a sweep gives each cell its own folder";
                            case "dry-run" -> "use deq4j sweep --dry-run";
                            default -> "it is not a setting of the run";
                        });
            }
            if (!names.contains(key)) {
                throw new ParameterException(command.commandLine(), file + ": unknown key '" + where + key + "': not an"
                        + " option of " + cmd + NearestName.among(key, names).map(n -> "; did you mean '" + n + "'?")
                        .orElse("; the keys are its long option names without --: " + String.join(", ", names)));
            }
        }
    }

    /** The long option names of {@code command} without {@code --}. */
    static List<String> optionNames(CommandSpec command) {
        return command.options().stream().map(OptionSpec::longestName).filter(n -> n.startsWith("--"))
                .map(n -> n.substring(2)).distinct().toList();
    }

    /**
     * Command-line arguments for {@code values}, skipping the options {@code skip} accepts (e.g. those given on
     * the command line): {@code --key=value}, or {@code --key} alone for a flag set to true.
     *
     * @throws ParameterException if a flag's value is not true or false
     */
    static List<String> args(CommandSpec command, Map<String, String> values, Predicate<OptionSpec> skip, Path file) {
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            OptionSpec o = command.findOption("--" + e.getKey());
            if (o == null || skip.test(o)) {
                continue;
            }
            if (o.arity().max() == 0) {
                if (!e.getValue().equals("true") && !e.getValue().equals("false")) {
                    throw new ParameterException(command.commandLine(), file + ": '" + e.getKey() + "' is a flag: true"
                            + " or false, got '" + e.getValue() + "'");
                }
                if (e.getValue().equals("true")) {
                    args.add("--" + e.getKey());
                }
            } else {
                args.add("--" + e.getKey() + "=" + e.getValue());
            }
        }
        return args;
    }
}
