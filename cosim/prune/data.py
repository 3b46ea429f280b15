"""The embedded dataset: UCI handwritten digits (1,797 8×8 images), with a fixed train/test split.

The data ships inside the package (cosim/prune/data/uci_digits.npz; source, license and checksum in
cosim/prune/data/README.md), so accuracy is measured anywhere without a download. The split is
stratified and seeded: the same seed gives the same images in the same order on every machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from cosim.errors import CosimError

DIGITS_PATH = Path(__file__).resolve().parent / "data" / "uci_digits.npz"
DIGITS_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"
PIXEL_MAX = 16.0  # pixels are counts of "on" pixels in 4×4 blocks: 0..16 (UCI description)


@dataclass(frozen=True)
class Split:
    """Images as float32 NHWC (n, 8, 8, 1) scaled to [0, 1]; labels int64 (n,).

    ``train`` fits weights, ``val`` steers decisions (adaptive schedules, allocation saliency),
    ``test`` is only ever measured: reported accuracies are test accuracies."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return 10


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(DIGITS_PATH) as f:
            images, labels = f["images"], f["labels"]
    except OSError as e:
        raise CosimError(f"embedded dataset '{DIGITS_PATH}' cannot be read ({e}); reinstall cosim") from None
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    if digest != DIGITS_SHA256:
        raise CosimError(f"embedded dataset '{DIGITS_PATH}' fails its checksum; reinstall cosim")
    return images, labels


@lru_cache(maxsize=4)
def load_digits_split(test_fraction: float = 0.2, val_fraction: float = 0.1, seed: int = 0) -> Split:
    """Stratified split: per class, a seeded permutation puts round(test_fraction·count) images in
    test and round(val_fraction·count) in val; the rest train (1,797 → 1,259 / 179 / 359 by default).
    Cached: callers must not modify the arrays."""
    images, labels = _raw()
    return stratified_split(images.astype(np.float32) / PIXEL_MAX, labels, test_fraction, val_fraction, seed)


def stratified_split(images: np.ndarray, labels: np.ndarray, test_fraction: float, val_fraction: float,
                     seed: int) -> Split:
    """Per class, a seeded permutation puts round(test_fraction·count) images in test and
    round(val_fraction·count) in val, the rest in train (train shuffled, val and test in file order).
    ``images`` (n, H, W) scaled to [0, 1]; the arrays returned are read-only."""
    if not (0.0 < test_fraction < 1.0 and 0.0 <= val_fraction < 1.0 and test_fraction + val_fraction < 1.0):
        raise CosimError(f"test_fraction {test_fraction} and val_fraction {val_fraction} must be fractions "
                         "summing to less than 1")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(idx.size)]
        n_test = int(round(test_fraction * idx.size))
        n_val = int(round(val_fraction * idx.size))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    tr, va, te = (np.concatenate(p) for p in parts)
    tr = tr[rng.permutation(tr.size)]
    x = np.asarray(images, dtype=np.float32)[..., None]
    y = labels.astype(np.int64)
    for a in (x, y):
        a.flags.writeable = False
    return Split(x[tr], y[tr], x[np.sort(va)], y[np.sort(va)], x[np.sort(te)], y[np.sort(te)])
