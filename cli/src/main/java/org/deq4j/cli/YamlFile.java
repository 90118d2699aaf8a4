package org.deq4j.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.nd4j.shade.yaml.snakeyaml.DumperOptions;
import org.nd4j.shade.yaml.snakeyaml.LoaderOptions;
import org.nd4j.shade.yaml.snakeyaml.Yaml;
import org.nd4j.shade.yaml.snakeyaml.constructor.SafeConstructor;
import org.nd4j.shade.yaml.snakeyaml.error.YAMLException;
import org.nd4j.shade.yaml.snakeyaml.representer.Representer;
import org.nd4j.shade.yaml.snakeyaml.resolver.Resolver;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Reading and writing the YAML of run and sweep files. YAML rather than JSON or properties: it allows
 * comments, which the paper's run files use to cite their sources, and lists, which the sweep files' axes
 * need; and it costs no dependency, as ND4J ships SnakeYAML (shaded). Plain values are read as typed,
 * without YAML 1.1's guessing of booleans and numbers, so {@code progress: off} means {@code --progress off}
 * and the options convert every value themselves. Every failure is a {@link ParameterException} naming the
 * file.
 */
final class YamlFile {
    private YamlFile() {
    }

    /**
     * The YAML document in {@code file}, which must be a mapping; every plain scalar is read as the text typed
     * (no YAML 1.1 typing, which would read {@code progress: off} as false), lists as lists, mappings as
     * mappings with string keys, in the file's order.
     */
    static Map<String, Object> readMapping(CommandLine cl, Path file, String what) {
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

    /** {@code values} as a YAML mapping that {@link #readMapping} reads back to them. */
    static String toYaml(Map<String, String> values) {
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        // the standard resolver quotes what YAML 1.1 would read as another type ('off', '1e-3'), for other readers
        return new Yaml(o).dump(values);
    }
}
