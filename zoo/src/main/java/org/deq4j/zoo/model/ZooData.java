package org.deq4j.zoo.model;

import java.util.Optional;
import java.nio.file.Path;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.zoo.data.Cifar100Labels;
import org.deq4j.zoo.data.DataSplits;
import org.deq4j.zoo.data.Datasets;
import org.deq4j.zoo.data.ImageDataSetIterator;
import org.deq4j.zoo.data.ImageDataset;
import org.deq4j.zoo.data.Normalize;
import org.deq4j.zoo.data.RandomCropFlip;
import org.deq4j.zoo.data.SampleTransform;

/**
 * The data pipeline of each zoo data set: where the images come from, the training augmentation
 * and the normalisation.
 *
 * <ul>
 *   <li>{@code fashion-mnist}: the given folder, else the embedded extract (10000 training, 2000 test
 *       images; the Debian copy is used only when its folder is given); no augmentation;
 *       {@link Normalize#FASHION_MNIST}.</li>
 *   <li>{@code cifar10} / {@code cifar100} (fine labels): the given folder (required); random crop with
 *       4-pixel padding and horizontal flip ({@link RandomCropFlip#CIFAR}), then the customary
 *       per-channel normalisation, as in the paper.</li>
 * </ul>
 * Evaluation never augments, never shuffles and uses {@link #EVAL_BATCH} images per batch, so the
 * accuracy of a given model on a given test set is reproducible.
 */
public final class ZooData {
    /** Batch size of evaluation passes. */
    public static final int EVAL_BATCH = 200;

    private ZooData() {
    }

    /**
     * The training and test splits of {@code dataset}.
     *
     * @throws InvalidConfigException for an unknown data set name
     * @throws org.deq4j.zoo.data.DataNotFoundException if CIFAR is asked for without a folder, or a folder is missing
     */
    public static DataSplits load(String dataset, Optional<Path> dir) {
        return switch (dataset) {
            case "fashion-mnist" -> dir.isPresent() ? Datasets.fashionMnist(dir) : Datasets.fashionMnistEmbedded();
            case "cifar10" -> Datasets.cifar10(dir);
            case "cifar100" -> Datasets.cifar100(dir, Cifar100Labels.FINE);
            default -> throw new InvalidConfigException("unknown data set '" + dataset
                    + "'; known: fashion-mnist, cifar10, cifar100");
        };
    }

    /** The normalisation of {@code dataset}. */
    public static Normalize normalize(String dataset) {
        return switch (dataset) {
            case "fashion-mnist" -> Normalize.FASHION_MNIST;
            case "cifar10" -> Normalize.CIFAR10;
            case "cifar100" -> Normalize.CIFAR100;
            default -> throw new InvalidConfigException("unknown data set '" + dataset + "'");
        };
    }

    /** The shuffled (seeded) and, for CIFAR, augmented training stream. */
    public static ImageDataSetIterator training(String dataset, ImageDataset data, int batchSize, long seed) {
        SampleTransform t = dataset.startsWith("cifar") ? RandomCropFlip.CIFAR.andThen(normalize(dataset))
                : normalize(dataset);
        return ImageDataSetIterator.builder(data).batchSize(batchSize).seed(seed).transform(t).build();
    }

    /** The deterministic evaluation stream: file order, no augmentation, {@link #EVAL_BATCH} per batch. */
    public static ImageDataSetIterator evaluation(String dataset, ImageDataset data) {
        return ImageDataSetIterator.builder(data).batchSize(EVAL_BATCH).shuffle(false).transform(normalize(dataset))
                .build();
    }
}
