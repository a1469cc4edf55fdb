#!/usr/bin/python3
"""Make the Fashion-MNIST sample embedded in Nabla.Vision.

Takes the first 600 images of each class from the training set (6,000 images) and the first
100 of each class from the test set (1,000 images), kept in their original file order, and
writes them as gzip-compressed IDX files next to this script. The choice is deterministic, so
running the script again on the same source files gives byte-identical output (gzip mtime = 0).

Usage: /usr/bin/python3 src/Nabla.Vision/Data/make_sample.py [SOURCE_DIR]
SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
Needs numpy only.
"""
import gzip
import os
import struct
import sys

import numpy as np

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
TARGET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist-sample")
PER_CLASS = {"train": 600, "t10k": 100}
CLASSES = 10


def read_idx(path):
    """Reads an unsigned-byte IDX file (gzip or raw) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and type_code == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    assert body.size == int(np.prod(dims)), f"{path}: size does not match dimensions {dims}"
    return body.reshape(dims)


def write_idx(path, array):
    """Writes a uint8 array as a gzip-compressed IDX file, reproducibly (no timestamp)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def find(name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(SOURCE, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(os.path.join(SOURCE, name + "[.gz]"))


def main():
    os.makedirs(TARGET, exist_ok=True)
    for split, per_class in PER_CLASS.items():
        images = read_idx(find(f"{split}-images-idx3-ubyte"))
        labels = read_idx(find(f"{split}-labels-idx1-ubyte"))
        # First `per_class` of each class, then back into file order so the sample is a plain
        # subsequence of the original (a shuffling loader decides the order, not the file).
        chosen = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(CLASSES)]))
        assert np.all(np.bincount(labels[chosen], minlength=CLASSES) == per_class)
        write_idx(os.path.join(TARGET, f"{split}-images-idx3-ubyte.gz"), images[chosen])
        write_idx(os.path.join(TARGET, f"{split}-labels-idx1-ubyte.gz"), labels[chosen])
        print(f"{split}: {len(chosen)} images, indices {chosen[0]}..{chosen[-1]} of {len(labels)}")


if __name__ == "__main__":
    main()
