package org.deq4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deq4j.train.Accuracy;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.Evaluator;
import org.deq4j.zoo.data.DataSplits;
import org.deq4j.zoo.data.ImageDataSetIterator;
import org.deq4j.zoo.model.ImplicitResNet;
import org.deq4j.zoo.model.ZooData;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deq4j eval}: the test accuracy of a zoo classifier saved by {@code deq4j train} (its
 * {@code checkpoint.zip}), deterministic (file order, no augmentation, {@link ZooData#EVAL_BATCH} images
 * per batch). The data set is the preset's, from the {@link RunSettings} in the checkpoint (Fashion-MNIST:
 * the embedded extract unless {@code --data} is given; CIFAR-10 or CIFAR-100: {@code --data} required).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Test accuracy of a trained zoo classifier (a deq4j train checkpoint).")
final class EvalCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint;

    @Mixin
    private EvalFactorOption evalFactor;

    @Option(names = "--data", description = "Data folder (default: the embedded Fashion-MNIST extract).")
    private Path data;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    @Override
    public Integer call() {
        RunSettings run = checkpoint.settings(RunSettings.Kind.VISION);
        ComputationGraph graph = evalFactor.apply(checkpoint.model());
        String dataset = run.zooPreset().dataset();
        DataSplits splits = ZooData.load(dataset, Optional.ofNullable(data));
        double accuracy;
        try (ImageDataSetIterator test = ZooData.evaluation(dataset, splits.test())) {
            // The trainer's per-epoch evaluation, so the result equals the eval rows of metrics.csv.
            accuracy = Evaluator.evaluate(graph, test, Accuracy.INSTANCE);
        }
        int total = splits.test().size();
        long correct = Math.round(accuracy * total);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpoint.file().toString());
            m.put("dataset", dataset);
            m.put("data", splits.location());
            m.put("images", total);
            m.put("correct", correct);
            m.put("accuracy", accuracy);
            out.println(Json.write(m));
        } else {
            out.printf(Locale.ROOT, "test accuracy %.4f (%d of %d %s test images, %s)%n", accuracy, correct,
                    total, dataset, splits.location());
        }
        out.flush();
        return 0;
    }
}
