#!/usr/bin/env python3
"""Writes the embedded Fashion-MNIST extract shipped in deq4j-zoo.

Selection rule (deterministic, no randomness): from the official training set take, for every
class 0..9, the first TRAIN_PER_CLASS images in file order; from the official test set the first
TEST_PER_CLASS images per class. The chosen indices are kept in their original file order, so the
extract interleaves classes exactly as the official files do. Output: IDX files gzip-compressed
with mtime 0 (byte-identical on every run) and the chosen indices, one per line.

Usage:
    apt-get install dataset-fashion-mnist
    python3 zoo/tools/fashion_mnist_extract.py /usr/share/datasets/fashion-mnist \
        zoo/src/main/resources/org/deq4j/zoo/data/fashion-mnist
"""
import gzip
import struct
import sys
from pathlib import Path

TRAIN_PER_CLASS = 1000
TEST_PER_CLASS = 200
NUM_CLASSES = 10


def read_idx(path):
    data = gzip.decompress(path.read_bytes())
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x801:
        return [], data[8:8 + count], None
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return (rows, cols), data[16:], count
    raise ValueError(f"{path}: unexpected magic {magic:#x}")


def select(labels, per_class):
    taken = [0] * NUM_CLASSES
    chosen = []
    for index, label in enumerate(labels):
        if taken[label] < per_class:
            taken[label] += 1
            chosen.append(index)
    if taken != [per_class] * NUM_CLASSES:
        raise ValueError(f"not enough images per class: {taken}")
    return chosen


def write_gz(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
            out.write(payload)


def extract(src, dst, prefix, per_class):
    _, labels, _ = read_idx(src / f"{prefix}-labels-idx1-ubyte.gz")
    (rows, cols), pixels, _ = read_idx(src / f"{prefix}-images-idx3-ubyte.gz")
    size = rows * cols
    chosen = select(labels, per_class)
    n = len(chosen)
    write_gz(dst / f"{prefix}-labels-idx1-ubyte.gz",
             struct.pack(">II", 0x801, n) + bytes(labels[i] for i in chosen))
    write_gz(dst / f"{prefix}-images-idx3-ubyte.gz",
             struct.pack(">IIII", 0x803, n, rows, cols)
             + b"".join(pixels[i * size:(i + 1) * size] for i in chosen))
    (dst / f"{prefix}-indices.txt").write_text("".join(f"{i}\n" for i in chosen))
    print(f"{prefix}: {n} images, indices {chosen[0]}..{chosen[-1]}")


def main():
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    dst.mkdir(parents=True, exist_ok=True)
    extract(src, dst, "train", TRAIN_PER_CLASS)
    extract(src, dst, "t10k", TEST_PER_CLASS)


if __name__ == "__main__":
    main()
