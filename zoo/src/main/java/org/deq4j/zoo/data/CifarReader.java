package org.deq4j.zoo.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Reads the binary ("for C programs") versions of CIFAR-10 and CIFAR-100. A record is the label
 * byte(s) followed by 3072 pixel bytes: the 32×32 red plane, then green, then blue, each row-major,
 * which is exactly the CHW layout of {@link ImageDataset}.
 *
 * <ul>
 *   <li>CIFAR-10: 1 label byte (0..9) + 3072; training files {@code data_batch_1.bin} ..
 *       {@code data_batch_5.bin}, test file {@code test_batch.bin}.</li>
 *   <li>CIFAR-100: 1 coarse (0..19) + 1 fine (0..99) label byte + 3072; files {@code train.bin},
 *       {@code test.bin}; class names from {@code fine_label_names.txt} / {@code coarse_label_names.txt}
 *       when present, else the label numbers.</li>
 * </ul>
 *
 * <p>{@code dir} may be the extracted folder ({@code cifar-10-batches-bin}, {@code cifar-100-binary})
 * or its parent. Failures: {@link DataNotFoundException} with a download hint for a missing folder or
 * file; {@link DataFormatException} for an empty file, a size that is not a multiple of the record
 * size (naming the record that is cut), or a label out of range (naming record and value).
 */
public final class CifarReader {
    private static final ImageShape SHAPE = new ImageShape(3, 32, 32);

    /** The ten CIFAR-10 classes in label order, as in the distribution's {@code batches.meta.txt}. */
    public static final List<String> CIFAR10_CLASSES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private record Format(String title, String folder, String archive, List<String> trainFiles,
                          List<String> testFiles, List<String> labelKinds, int[] labelRanges) {
        int recordSize() {
            return labelRanges.length + SHAPE.size();
        }

        List<String> files(Split split) {
            return split == Split.TRAIN ? trainFiles : testFiles;
        }

        String hint() {
            return "Download the " + title + " binary version (" + archive + ", \"binary version suitable for C programs\") "
                    + "from https://www.cs.toronto.edu/~kriz/cifar.html, extract it with `tar xzf " + archive
                    + "` and pass the folder " + folder + " (or the folder containing it)";
        }
    }

    private static final Format CIFAR10 = new Format("CIFAR-10", "cifar-10-batches-bin", "cifar-10-binary.tar.gz",
            IntStream.rangeClosed(1, 5).mapToObj(i -> "data_batch_" + i + ".bin").toList(), List.of("test_batch.bin"),
            List.of("label"), new int[] {10});

    private static final Format CIFAR100 = new Format("CIFAR-100", "cifar-100-binary", "cifar-100-binary.tar.gz",
            List.of("train.bin"), List.of("test.bin"), List.of("coarse label", "fine label"), new int[] {20, 100});

    private CifarReader() {
    }

    /** Reads one split of CIFAR-10 from {@code dir}. */
    public static ImageDataset cifar10(Path dir, Split split) {
        return read(CIFAR10, dir, split, 0, CIFAR10_CLASSES, "CIFAR-10 " + splitName(split));
    }

    /** Reads one split of CIFAR-100 from {@code dir}, classed by its fine or coarse labels. */
    public static ImageDataset cifar100(Path dir, Split split, Cifar100Labels labels) {
        Path folder = resolveFolder(CIFAR100, dir, split);
        int labelByte = labels == Cifar100Labels.COARSE ? 0 : 1;
        String namesFile = labels == Cifar100Labels.COARSE ? "coarse_label_names.txt" : "fine_label_names.txt";
        List<String> names = classNames(folder.resolve(namesFile), CIFAR100.labelRanges()[labelByte]);
        return read(CIFAR100, folder, split, labelByte, names,
                "CIFAR-100 " + splitName(split) + " (" + labels.name().toLowerCase() + " labels)");
    }

    /** The "no folder given" error, with the download hint, for when no path is configured. */
    static DataNotFoundException noFolderGiven(boolean cifar100) {
        Format f = cifar100 ? CIFAR100 : CIFAR10;
        return new DataNotFoundException(f.title(), "no data folder given; " + f.title()
                + " is not bundled and must be passed as an explicit path", f.hint());
    }

    private static String splitName(Split split) {
        return split == Split.TRAIN ? "train" : "test";
    }

    private static ImageDataset read(Format f, Path dir, Split split, int labelByte, List<String> classNames, String name) {
        Path folder = resolveFolder(f, dir, split);
        List<Path> files = f.files(split).stream().map(folder::resolve).toList();
        int rec = f.recordSize();
        long total = 0;
        long[] counts = new long[files.size()];
        for (int i = 0; i < files.size(); i++) {
            counts[i] = recordCount(f, files.get(i));
            total += counts[i];
        }
        if (total * SHAPE.size() > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(folder.toString(), total + " records are more than one array can hold");
        }
        byte[] pixels = new byte[(int) total * SHAPE.size()];
        int[] labels = new int[(int) total];
        byte[] buf = new byte[rec];
        int k = 0;
        for (int i = 0; i < files.size(); i++) {
            try (RecordInput in = RecordInput.open(NamedStream.of(files.get(i)))) {
                for (long r = 0; r < counts[i]; r++, k++) {
                    in.readRecord(buf, 0, rec, r);
                    for (int b = 0; b < f.labelRanges().length; b++) {
                        int v = buf[b] & 0xFF;
                        if (v >= f.labelRanges()[b]) {
                            throw new DataFormatException(in.name(), r, f.labelKinds().get(b) + " " + v
                                    + " is out of range [0, " + (f.labelRanges()[b] - 1) + "]");
                        }
                    }
                    labels[k] = buf[labelByte] & 0xFF;
                    System.arraycopy(buf, f.labelRanges().length, pixels, k * SHAPE.size(), SHAPE.size());
                }
                in.expectEnd(counts[i]);
            }
        }
        return new ImageDataset(name, SHAPE, pixels, labels, classNames);
    }

    private static long recordCount(Format f, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new DataNotFoundException(file.toString(), "file not found", f.hint());
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new DataException(file.toString(), file + ": cannot read size: " + e.getMessage(), e);
        }
        int rec = f.recordSize();
        if (size == 0) {
            throw new DataFormatException(file.toString(), "file is empty");
        }
        if (size % rec != 0) {
            throw new DataFormatException(file.toString(), size / rec, "file is truncated: it ends after " + size % rec
                    + " of the " + rec + " bytes of this record (file size " + size + " is not a multiple of the "
                    + f.title() + " record size " + rec + ")");
        }
        return size / rec;
    }

    private static Path resolveFolder(Format f, Path dir, Split split) {
        if (!Files.isDirectory(dir)) {
            throw new DataNotFoundException(dir.toString(), Files.exists(dir) ? "is not a folder" : "folder not found", f.hint());
        }
        String first = f.files(split).get(0);
        if (!Files.exists(dir.resolve(first)) && Files.isDirectory(dir.resolve(f.folder()))) {
            return dir.resolve(f.folder());
        }
        return dir;
    }

    private static List<String> classNames(Path file, int count) {
        if (!Files.isRegularFile(file)) {
            return IntStream.range(0, count).mapToObj(Integer::toString).toList();
        }
        List<String> names = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new DataException(file.toString(), file + ": cannot read class names: " + e.getMessage(), e);
        }
        if (names.size() != count) {
            throw new DataFormatException(file.toString(), "lists " + names.size() + " class names, expected " + count);
        }
        return names;
    }
}
