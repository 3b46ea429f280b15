"""A disk cache of the embedded models' trained dense weights, so a CLI run does not retrain them.

Training is seeded and deterministic (cosim/prune/nn.py), so the weights are a pure function of the
key: model, seed, epochs, rate schedule, the dataset file's checksum, the trainer's version and the
numpy version (BLAS builds may differ in the last bits). A file is written once, atomically; an
unreadable or mismatching file is ignored and retrained. Folder: ``$COSIM_CACHE_DIR/trained`` (default
``~/.cache/cosim``); ``COSIM_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

TRAINER_VERSION = 1  # bump when training changes what it produces


def cache_dir() -> Path | None:
    raw = os.environ.get("COSIM_CACHE_DIR", "")
    if raw.strip().lower() in ("off", "0", "none"):
        return None
    return (Path(raw) if raw else Path.home() / ".cache" / "cosim") / "trained"


def cache_key(arch: str, seed: int, epochs: int, cosine: bool, data_sha: str) -> str:
    text = f"{arch}|{seed}|{epochs}|{cosine}|{data_sha}|{TRAINER_VERSION}|{np.__version__}"
    return f"{arch}-s{seed}-e{epochs}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def load(net, key: str) -> bool:
    """Install cached weights into ``net`` (built with the same arch); False when there are none."""
    d = cache_dir()
    if d is None or not (d / f"{key}.npz").is_file():
        return False
    try:
        with np.load(d / f"{key}.npz") as f:
            arrays = {k: f[k] for k in f.files}
        layers = net.weighted()
        if set(arrays) != {f"{l.name}.{p}" for l in layers for p in ("w", "b")}:
            return False
        for l in layers:
            w, b = arrays[f"{l.name}.w"], arrays[f"{l.name}.b"]
            if w.shape != l.w.shape or b.shape != l.b.shape:
                return False
        for l in layers:
            l.w, l.b = arrays[f"{l.name}.w"].astype(np.float32), arrays[f"{l.name}.b"].astype(np.float32)
        return True
    except (OSError, ValueError, KeyError):
        return False


def store(net, key: str) -> None:
    """Write the weights (best effort: a read-only or full disk only costs a retrain next time)."""
    d = cache_dir()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{f"{l.name}.{p}": getattr(l, p) for l in net.weighted() for p in ("w", "b")})
        os.replace(tmp, d / f"{key}.npz")
    except OSError:
        try:
            os.unlink(tmp)  # noqa: F821 — only set when mkstemp succeeded
        except (OSError, NameError):
            pass
