package org.deq4j.zoo.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point for the image data sets of the zoo. Each method returns the training and test splits
 * and logs (INFO) which source it used.
 *
 * <ul>
 *   <li>Fashion-MNIST: the explicit folder if given; else the Debian copy in {@link #DEBIAN_FASHION_MNIST}
 *       ({@code apt-get install dataset-fashion-mnist}) if present; else the embedded balanced extract
 *       of 10000 training and 2000 test images (see {@link #fashionMnistEmbedded()}).</li>
 *   <li>MNIST, CIFAR-10, CIFAR-100: not bundled; an explicit folder is required and its absence is a
 *       {@link DataNotFoundException} saying where to get the data.</li>
 * </ul>
 *
 * <p>IDX folders hold {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each with or without {@code .gz}.
 */
public final class Datasets {
    private static final Logger LOG = LoggerFactory.getLogger(Datasets.class);

    /** Where the Debian package {@code dataset-fashion-mnist} installs the official files. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** Classpath folder of the embedded Fashion-MNIST extract. */
    static final String EMBEDDED_FASHION_MNIST = "org/deq4j/zoo/data/fashion-mnist/";

    /** The ten Fashion-MNIST classes in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private static final List<String> DIGITS = IntStream.range(0, 10).mapToObj(Integer::toString).toList();

    private static final String FASHION_HINT = "Install the official files with `apt-get install dataset-fashion-mnist` "
            + "(they go to " + DEBIAN_FASHION_MNIST + "), or download them from https://github.com/zalandoresearch/fashion-mnist";

    private static final String MNIST_HINT = "Pass a folder holding the four MNIST IDX files (train-images-idx3-ubyte.gz, "
            + "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), gzipped or not";

    private Datasets() {
    }

    /** Fashion-MNIST from {@code dir} if given, else the Debian copy if installed, else the embedded extract. */
    public static DataSplits fashionMnist(Optional<Path> dir) {
        if (dir.isPresent()) {
            return logged("Fashion-MNIST", readIdxFolder(dir.get(), "Fashion-MNIST", FASHION_MNIST_CLASSES, FASHION_HINT, DataOrigin.EXPLICIT));
        }
        if (Files.isDirectory(DEBIAN_FASHION_MNIST)) {
            return logged("Fashion-MNIST", readIdxFolder(DEBIAN_FASHION_MNIST, "Fashion-MNIST", FASHION_MNIST_CLASSES, FASHION_HINT, DataOrigin.DEBIAN));
        }
        return logged("Fashion-MNIST", fashionMnistEmbedded());
    }

    /**
     * The Fashion-MNIST extract bundled in this jar: 10000 training images (the first 1000 of each class
     * in official order) and 2000 test images (the first 200 of each class). MIT licence, Zalando SE; see
     * the README next to the files for the exact indices.
     */
    public static DataSplits fashionMnistEmbedded() {
        String base = EMBEDDED_FASHION_MNIST;
        Supplier<ImageDataset> train = () -> IdxReader.read(NamedStream.ofResource(base + "train-images-idx3-ubyte.gz"),
                NamedStream.ofResource(base + "train-labels-idx1-ubyte.gz"), "Fashion-MNIST train (embedded extract)", FASHION_MNIST_CLASSES);
        ImageDataset test = IdxReader.read(NamedStream.ofResource(base + "t10k-images-idx3-ubyte.gz"),
                NamedStream.ofResource(base + "t10k-labels-idx1-ubyte.gz"), "Fashion-MNIST test (embedded extract)", FASHION_MNIST_CLASSES);
        return new DataSplits(train, test, DataOrigin.EMBEDDED, "classpath:" + base);
    }

    /** MNIST digits from {@code dir}, which is required. */
    public static DataSplits mnist(Optional<Path> dir) {
        Path folder = dir.orElseThrow(() -> new DataNotFoundException("MNIST", "no data folder given; MNIST is not bundled", MNIST_HINT));
        return logged("MNIST", readIdxFolder(folder, "MNIST", DIGITS, MNIST_HINT, DataOrigin.EXPLICIT));
    }

    /** CIFAR-10 from {@code dir} (the extracted {@code cifar-10-batches-bin} or its parent), which is required. */
    public static DataSplits cifar10(Optional<Path> dir) {
        Path folder = dir.orElseThrow(() -> CifarReader.noFolderGiven(false));
        return logged("CIFAR-10", new DataSplits(() -> CifarReader.cifar10(folder, Split.TRAIN), CifarReader.cifar10(folder, Split.TEST),
                DataOrigin.EXPLICIT, folder.toString()));
    }

    /** CIFAR-100 from {@code dir} (the extracted {@code cifar-100-binary} or its parent), which is required. */
    public static DataSplits cifar100(Optional<Path> dir, Cifar100Labels labels) {
        Path folder = dir.orElseThrow(() -> CifarReader.noFolderGiven(true));
        return logged("CIFAR-100", new DataSplits(() -> CifarReader.cifar100(folder, Split.TRAIN, labels),
                CifarReader.cifar100(folder, Split.TEST, labels), DataOrigin.EXPLICIT, folder.toString()));
    }

    private static DataSplits readIdxFolder(Path dir, String title, List<String> classes, String hint, DataOrigin origin) {
        if (!Files.isDirectory(dir)) {
            throw new DataNotFoundException(dir.toString(), Files.exists(dir) ? "is not a folder" : "folder not found", hint);
        }
        Supplier<ImageDataset> train = () -> IdxReader.read(idxFile(dir, "train-images-idx3-ubyte", hint),
                idxFile(dir, "train-labels-idx1-ubyte", hint), title + " train", classes);
        ImageDataset test = IdxReader.read(idxFile(dir, "t10k-images-idx3-ubyte", hint), idxFile(dir, "t10k-labels-idx1-ubyte", hint),
                title + " test", classes);
        return new DataSplits(train, test, origin, dir.toString());
    }

    private static Path idxFile(Path dir, String base, String hint) {
        for (String name : List.of(base + ".gz", base)) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        throw new DataNotFoundException(dir.resolve(base + ".gz").toString(), "file not found (also looked for " + base + " without .gz)", hint);
    }

    private static DataSplits logged(String title, DataSplits s) {
        LOG.info("{} data from the {} source {}: {} test images (training images read when first used)", title,
                s.origin().name().toLowerCase(), s.location(), s.test().size());
        return s;
    }
}
