package org.deq4j.zoo.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.samediff.dl4j.DeqStabilisers;

/**
 * A named vision model configuration of the zoo: the architecture, the input images it expects and the
 * DEQ stages, as built by {@link ImplicitResNet#build}.
 *
 * @param name          preset name, e.g. {@code cifar10-paper}
 * @param architecture  which network family
 * @param inputChannels image channels (1 for Fashion-MNIST, 3 for CIFAR)
 * @param imageSize     image height = width in pixels
 * @param stemStride    stride of the stem convolution: 1 in the paper's models; 2 halves the resolution
 *                      at which the first DEQ runs (a 4x cheaper CPU model)
 * @param classes       output classes
 * @param stages        DEQ stages in order; {@link Architecture#IMPLICIT_RESNET} halves the resolution
 *                      between consecutive stages, {@link Architecture#SINGLE_DEQ} has exactly one
 * @param beta          relaxation β of every DEQ's solver
 * @param tol           solver tolerance (relative residual)
 * @param learningRate  base learning rate of the recipe (AdamW)
 * @param epochs        training epochs of the recipe
 * @param dataset       which data the preset is meant for: {@code fashion-mnist}, {@code cifar10}, {@code cifar100}
 * @param stabilisers   the training stabilisers of every DEQ stage; every shipped preset uses none, as the
 *                      paper's models do (no dropout, normalisation or Jacobian penalty in the DEQ cells)
 */
public record ZooPreset(String name, Architecture architecture, int inputChannels, int imageSize, int stemStride, int classes,
                        List<Stage> stages, double beta, double tol, double learningRate, int epochs, String dataset,
                        DeqStabilisers stabilisers) {

    /** The network families. */
    public enum Architecture {
        /**
         * Stem conv3x3 (no bias) → BN → ReLU; stages {@code x = x + DEQ(x)} separated by pre-activation
         * stride-2 downsampling blocks; global average pool → softmax output.
         */
        IMPLICIT_RESNET,
        /**
         * The paper's small model: conv3x3 (with bias) → GroupNorm(2 groups) → DEQ → average pool to 4x4 →
         * softmax output over the flattened 4x4 map.
         */
        SINGLE_DEQ
    }

    /**
     * One DEQ stage: a {@link org.deq4j.samediff.cell.ConvResidualCell} of {@code channels} channels and
     * expansion {@code width}, solved in {@code steps} steps.
     */
    public record Stage(int channels, int width, int steps) {
        /** @throws InvalidConfigException if a value is below 1 */
        public Stage {
            if (channels < 1 || width < 1 || steps < 1) {
                throw new InvalidConfigException("a DEQ stage needs channels, width and steps >= 1, got " + channels
                        + ", " + width + ", " + steps);
            }
        }
    }

    /** @throws InvalidConfigException for an empty stage list, a single-DEQ preset with several stages, or bad sizes */
    public ZooPreset {
        stages = List.copyOf(stages);
        Objects.requireNonNull(stabilisers, "stabilisers");
        if (stages.isEmpty()) {
            throw new InvalidConfigException("preset '" + name + "' has no DEQ stage");
        }
        if (architecture == Architecture.SINGLE_DEQ && (stages.size() != 1 || imageSize % 4 != 0)) {
            throw new InvalidConfigException("single-DEQ preset '" + name + "' needs exactly one stage and an image"
                    + " size divisible by 4 (average pool to 4x4)");
        }
        if (inputChannels < 1 || imageSize < 1 || stemStride < 1 || classes < 2 || epochs < 1) {
            throw new InvalidConfigException("preset '" + name + "': bad input or class count");
        }
    }

    /** A preset without stabilisers ({@link DeqStabilisers#NONE}). */
    public ZooPreset(String name, Architecture architecture, int inputChannels, int imageSize, int stemStride,
                     int classes, List<Stage> stages, double beta, double tol, double learningRate, int epochs,
                     String dataset) {
        this(name, architecture, inputChannels, imageSize, stemStride, classes, stages, beta, tol, learningRate, epochs,
                dataset, DeqStabilisers.NONE);
    }

    /** The RevDEQ paper's CIFAR-10 implicit ResNet (about 10.3M parameters). */
    public static final ZooPreset CIFAR10_PAPER = paperResNet("cifar10-paper", 10, "cifar10");
    /** The same network with 100 classes, for CIFAR-100. */
    public static final ZooPreset CIFAR100_PAPER = paperResNet("cifar100-paper", 100, "cifar100");
    /** The paper's small single-DEQ CIFAR-10 model (about 25k parameters), learning rate 1e-3. */
    public static final ZooPreset SINGLE_DEQ = new ZooPreset("single-deq", Architecture.SINGLE_DEQ, 3, 32, 1, 10,
            List.of(new Stage(32, 1, 2)), 0.8, 1e-6, 1e-3, 100, "cifar10");
    /**
     * A CPU-sized implicit ResNet for 1x28x28 Fashion-MNIST: a stride-2 stem, 16 channels at 14x14, then 32
     * at 7x7, cell
     * width 1, 2 solver steps each, learning rate 2e-3, 8 epochs. The default preset.
     */
    public static final ZooPreset FASHION_CPU = new ZooPreset("fashion-cpu", Architecture.IMPLICIT_RESNET, 1, 28, 2, 10,
            List.of(new Stage(16, 1, 2), new Stage(32, 1, 2)), 0.8, 1e-6, 2e-3, 8, "fashion-mnist");
    /** A tiny preset for tests and smoke runs: one 8-channel stage, 2 steps, on 1x28x28 images. */
    public static final ZooPreset FASHION_TINY = new ZooPreset("fashion-tiny", Architecture.IMPLICIT_RESNET, 1, 28, 1,
            10, List.of(new Stage(8, 1, 2)), 0.8, 1e-6, 1e-3, 4, "fashion-mnist");

    private static final Map<String, ZooPreset> ALL = new LinkedHashMap<>();

    static {
        for (ZooPreset p : List.of(FASHION_CPU, FASHION_TINY, SINGLE_DEQ, CIFAR10_PAPER, CIFAR100_PAPER)) {
            ALL.put(p.name(), p);
        }
    }

    private static ZooPreset paperResNet(String name, int classes, String dataset) {
        return new ZooPreset(name, Architecture.IMPLICIT_RESNET, 3, 32, 1, classes,
                List.of(new Stage(128, 1, 4), new Stage(256, 3, 4), new Stage(256, 3, 4), new Stage(128, 1, 4)),
                0.8, 1e-6, 3e-4, 100, dataset);
    }

    /** Every preset, by name, in a fixed order. */
    public static Map<String, ZooPreset> all() {
        return Map.copyOf(ALL);
    }

    /** Preset names in a fixed order (the default first). */
    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    /**
     * The preset called {@code name}.
     *
     * @throws InvalidConfigException for an unknown name, listing the known ones
     */
    public static ZooPreset named(String name) {
        ZooPreset p = ALL.get(name);
        if (p == null) {
            throw new InvalidConfigException("unknown preset '" + name + "'; known presets: " + names());
        }
        return p;
    }

    /** The same preset with every stage solved in {@code steps} steps. */
    public ZooPreset withSteps(int steps) {
        return new ZooPreset(name, architecture, inputChannels, imageSize, stemStride, classes,
                stages.stream().map(s -> new Stage(s.channels(), s.width(), steps)).toList(), beta, tol,
                learningRate, epochs, dataset, stabilisers);
    }

    /**
     * The same preset with relaxation {@code beta} in every DEQ; its range depends on the gradient strategy
     * and is checked when the network is configured ({@link org.deq4j.core.GradientStrategy#config}).
     */
    public ZooPreset withBeta(double beta) {
        return new ZooPreset(name, architecture, inputChannels, imageSize, stemStride, classes, stages, beta, tol,
                learningRate, epochs, dataset, stabilisers);
    }

    /** The same preset with the training stabilisers {@code stabilisers} on every DEQ stage. */
    public ZooPreset withStabilisers(DeqStabilisers stabilisers) {
        return new ZooPreset(name, architecture, inputChannels, imageSize, stemStride, classes, stages, beta, tol,
                learningRate, epochs, dataset, stabilisers);
    }
}
