package org.deq4j.cli.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.core.profile.PhaseTimer;
import org.deq4j.core.profile.PhaseTimer.Phase;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Times training steps of a network on its own data: {@code warmup} steps (compilation, workspace
 * learning, JIT) that are not counted, then {@code steps} timed steps, each one {@code fit} of the
 * next batch exactly as the trainer does it (forward, backward, optimiser update). Reports
 * throughput, the median step, peak resident memory and the time split of {@link PhaseTimer}.
 */
public final class TrainBenchmark {
    private TrainBenchmark() {
    }

    /**
     * The measured numbers.
     *
     * @param itemsPerStep  examples (vision) or tokens (language) in one training batch
     * @param stepNanos     each timed step's wall time, in order
     * @param phaseNanos    time per phase summed over the timed steps
     * @param peakRssBytes  the process's peak resident set size at the end (VmHWM), if the OS tells
     * @param rssBytes      the process's resident set size at the end, if the OS tells
     */
    public record Result(long itemsPerStep, long[] stepNanos, Map<Phase, Long> phaseNanos, OptionalLong peakRssBytes,
                         OptionalLong rssBytes) {

        /** Items per second over all timed steps. */
        public double itemsPerSecond() {
            return itemsPerStep * stepNanos.length / (totalNanos() * 1e-9);
        }

        public long totalNanos() {
            return Arrays.stream(stepNanos).sum();
        }

        /** The median step time, milliseconds. */
        public double medianStepMillis() {
            long[] s = stepNanos.clone();
            Arrays.sort(s);
            int n = s.length;
            return (n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0) / 1e6;
        }

        /**
         * Milliseconds per step of: the cells' forward evaluations, their VJPs, the rest of the DEQ
         * layers (solver arithmetic, casts, residuals), and everything else (DL4J layers, loss, update).
         * The cell phases are measured on the core engine only: the RevDEQ op's loops (the reversible
         * strategy) run as one compiled program each, whose cell time stays inside "solver"; there
         * {@code deqForward} and {@code deqBackward} are the split.
         */
        public Map<String, Double> splitMillisPerStep() {
            double n = stepNanos.length;
            long cellF = phaseNanos.get(Phase.CELL_FORWARD);
            long cellV = phaseNanos.get(Phase.CELL_VJP);
            long deq = phaseNanos.get(Phase.DEQ_FORWARD) + phaseNanos.get(Phase.DEQ_BACKWARD);
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("cellForward", cellF / n / 1e6);
            m.put("cellVjp", cellV / n / 1e6);
            m.put("solver", Math.max(0, deq - cellF - cellV) / n / 1e6);
            m.put("deqForward", phaseNanos.get(Phase.DEQ_FORWARD) / n / 1e6);
            m.put("deqBackward", phaseNanos.get(Phase.DEQ_BACKWARD) / n / 1e6);
            m.put("otherLayers", Math.max(0, totalNanos() - deq) / n / 1e6);
            return m;
        }
    }

    /**
     * Runs the benchmark. The iterator is reset whenever it runs out.
     *
     * @param items counts the items of one batch (examples or tokens)
     */
    public static Result run(ComputationGraph graph, DataSetIterator data, int warmup, int steps,
                             java.util.function.ToLongFunction<DataSet> items) {
        for (int i = 0; i < warmup; i++) {
            graph.fit(next(data));
        }
        PhaseTimer.reset();
        PhaseTimer.enable(true);
        long[] times = new long[steps];
        long itemsPerStep = 0;
        try {
            for (int i = 0; i < steps; i++) {
                DataSet batch = next(data);
                itemsPerStep = Math.max(itemsPerStep, items.applyAsLong(batch));
                long t = System.nanoTime();
                graph.fit(batch);
                times[i] = System.nanoTime() - t;
            }
        } finally {
            PhaseTimer.enable(false);
        }
        Map<Phase, Long> phases = PhaseTimer.nanos();
        return new Result(itemsPerStep, times, phases, Resident.peakOfThisProcess(),
                Resident.of(ProcessHandle.current().pid()));
    }

    private static DataSet next(DataSetIterator data) {
        if (!data.hasNext()) {
            data.reset();
        }
        return data.next();
    }

    /** The result as a JSON-ready map. */
    public static Map<String, Object> json(Result r, String unit) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(unit + "PerSecond", r.itemsPerSecond());
        m.put(unit + "PerStep", r.itemsPerStep());
        m.put("steps", r.stepNanos().length);
        m.put("medianStepMillis", r.medianStepMillis());
        m.put("meanStepMillis", r.totalNanos() / 1e6 / r.stepNanos().length);
        m.put("splitMillisPerStep", r.splitMillisPerStep());
        r.peakRssBytes().ifPresent(v -> m.put("peakRssBytes", v));
        r.rssBytes().ifPresent(v -> m.put("rssBytesAtEnd", v));
        List<Double> ms = new ArrayList<>();
        for (long t : r.stepNanos()) {
            ms.add(t / 1e6);
        }
        m.put("stepMillis", ms);
        return m;
    }
}
