package org.deq4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.deq4j.core.check.GradientCheck;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j gradcheck}: runs {@link GradientCheck#defaultMatrix()} and prints one row per case
 * (or, with {@code --json}, one JSON object {@code {"cases": [...], "passed": bool}}). Exit code 1
 * when any case fails.
 */
@Command(name = "gradcheck", mixinStandardHelpOptions = true,
        description = "Checks every adjoint's gradients against an independent reference.")
final class GradcheckCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    @Override
    public Integer call() {
        List<GradientCheck.Result> results = new ArrayList<>();
        for (GradientCheck.Case c : GradientCheck.defaultMatrix()) {
            results.add(GradientCheck.run(c));
        }
        boolean passed = results.stream().allMatch(GradientCheck.Result::passed);
        PrintWriter out = spec.commandLine().getOut();
        out.println(json ? Json.write(toJson(results, passed)) : table(results, passed));
        out.flush();
        return passed ? 0 : 1;
    }

    static Map<String, Object> toJson(List<GradientCheck.Result> results, boolean passed) {
        List<Object> cases = new ArrayList<>();
        for (GradientCheck.Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cell", r.cell());
            m.put("adjoint", r.adjoint());
            m.put("solver", r.solver());
            m.put("beta", r.beta());
            m.put("steps", r.steps());
            m.put("maxRelativeError", r.maxRelativeError());
            m.put("tolerance", r.tolerance());
            m.put("passed", r.passed());
            m.put("reference", r.reference());
            cases.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("cases", cases);
        root.put("passed", passed);
        return root;
    }

    static String table(List<GradientCheck.Result> results, boolean passed) {
        TextTable t = new TextTable("cell", "adjoint", "solver", "beta", "steps", "max rel. error", "tolerance",
                "result", "reference");
        for (GradientCheck.Result r : results) {
            t.row(r.cell(), r.adjoint(), r.solver(), String.format(Locale.ROOT, "%.2f", r.beta()), r.steps(),
                    String.format(Locale.ROOT, "%.2e", r.maxRelativeError()),
                    String.format(Locale.ROOT, "%.0e", r.tolerance()), r.passed() ? "pass" : "FAIL", r.reference());
        }
        long failed = results.stream().filter(r -> !r.passed()).count();
        return t.render() + (passed ? "all " + results.size() + " cases passed"
                : failed + " of " + results.size() + " cases FAILED");
    }
}
