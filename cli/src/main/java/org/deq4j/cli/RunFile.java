package org.deq4j.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.deq4j.core.config.NearestName;
import org.nd4j.shade.yaml.snakeyaml.DumperOptions;
import org.nd4j.shade.yaml.snakeyaml.LoaderOptions;
import org.nd4j.shade.yaml.snakeyaml.Yaml;
import org.nd4j.shade.yaml.snakeyaml.constructor.SafeConstructor;
import org.nd4j.shade.yaml.snakeyaml.error.YAMLException;
import org.nd4j.shade.yaml.snakeyaml.representer.Representer;
import org.nd4j.shade.yaml.snakeyaml.resolver.Resolver;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * A run file: the options of one training command as a YAML mapping, each key a long option name without
 * {@code --} ({@code solver-steps: 4}), each value a scalar read as the text typed after the option. Every
 * option of the command is a key, including those added later, and the command line's parsing converts and
 * checks the values, so a run file means exactly what the same options typed by hand mean; relative paths
 * are relative to the working directory, as there.
 *
 * <p>YAML (read with the SnakeYAML that ND4J ships, shaded) rather than JSON or properties: it allows
 * comments, which the paper's run files use to cite their sources, and lists, which the sweep files' axes
 * need ({@link SweepFile}). Plain values are read as typed, without YAML 1.1's guessing of booleans and
 * numbers, so {@code progress: off} means {@code --progress off}.
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
        Map<String, Object> root = readYaml(cl, file, "run file");
        if (root.containsKey("command") && root.containsKey("axes")) {
            throw new ParameterException(cl, file + " is a sweep file (it has 'command' and 'axes'): run it with"
                    + " deq4j sweep " + file);
        }
        return new RunFile(file, scalars(cl, file, root, ""));
    }

    /**
     * The YAML document in {@code file}, which must be a mapping; every plain scalar is read as the text typed
     * (no YAML 1.1 typing, which would read {@code progress: off} as false), lists as lists, mappings as
     * mappings with string keys, in the file's order.
     */
    static Map<String, Object> readYaml(CommandLine cl, Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new ParameterException(cl, what + " " + file + " does not exist");
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Resolver textOnly = new Resolver() {
            @Override
            protected void addImplicitResolvers() {
                // none: every plain scalar stays a string
            }
        };
        Object root;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(options), new Representer(), new DumperOptions(), options, textOnly)
                    .load(in);
        } catch (YAMLException e) {
            throw new ParameterException(cl, what + " " + file + " is not valid YAML: " + e.getMessage());
        } catch (IOException e) {
            throw new ParameterException(cl, what + " " + file + " cannot be read: " + e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ParameterException(cl, what + " " + file + " must be a mapping of keys to values, e.g."
                    + " 'epochs: 3'");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        map.forEach((k, v) -> m.put(String.valueOf(k), v));
        return m;
    }

    /** The entries of {@code mapping} as text; {@code where} names it in messages (e.g. "base."). */
    static Map<String, String> scalars(CommandLine cl, Path file, Map<?, ?> mapping, String where) {
        Map<String, String> m = new LinkedHashMap<>();
        mapping.forEach((k, v) -> m.put(String.valueOf(k), scalar(cl, file, where + k, v)));
        return m;
    }

    /** A single value as text. */
    static String scalar(CommandLine cl, Path file, String key, Object v) {
        if (v == null || v instanceof String t && t.isBlank()) {
            throw new ParameterException(cl, file + ": '" + key + "' has no value");
        }
        if (!(v instanceof String text)) {
            throw new ParameterException(cl, file + ": '" + key + "' must be a single value, got " + v);
        }
        return text;
    }

    /** The values as a YAML run file that {@link #read} reads back to them. */
    static String toYaml(Map<String, String> values) {
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        // the standard resolver quotes what YAML 1.1 would read as another type ('off', '1e-3'), for other readers
        return new Yaml(o).dump(values);
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

    /**
     * The command line's execution strategy: a command given {@code --config FILE} is parsed again with the
     * file's values inserted after it, for each option the command line did not give, then run as usual.
     *
     * @throws ParameterException for an unreadable or invalid run file, or a value its option refuses
     */
    static int execute(ParseResult parsed) {
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        OptionSpec option = leaf.commandSpec().findOption(RunFileOption.NAME);
        boolean help = leaf.isUsageHelpRequested() || leaf.isVersionHelpRequested();
        if (option == null || help || !leaf.hasMatchedOption(option)) {
            return new CommandLine.RunLast().execute(parsed);
        }
        CommandSpec command = leaf.commandSpec();
        RunFile file = read(command.commandLine(), option.getValue());
        file.requireOptionsOf(command);
        ParseResult given = leaf;
        List<String> extra = args(command, file.values(), given::hasMatchedOption, file.path());
        if (extra.isEmpty()) {
            return new CommandLine.RunLast().execute(parsed);
        }
        List<String> args = new ArrayList<>(parsed.originalArgs());
        args.addAll(afterConfig(args), extra);
        CommandLine root = parsed.commandSpec().commandLine();
        return new CommandLine.RunLast().execute(root.parseArgs(args.toArray(new String[0])));
    }

    /** The position just after the (last) {@code --config FILE} of {@code args}. */
    private static int afterConfig(List<String> args) {
        for (int i = args.size() - 1; i >= 0; i--) {
            if (args.get(i).startsWith(RunFileOption.NAME + "=")) {
                return i + 1;
            }
            if (args.get(i).equals(RunFileOption.NAME)) {
                return i + 2;
            }
        }
        throw new IllegalStateException("--config was matched but is not among the arguments " + args);
    }
}
