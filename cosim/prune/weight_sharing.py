"""Weight sharing: each layer's nonzero weights are replaced by the nearest of k shared values.

Following Deep Compression (Han, Mao & Dally, ICLR 2016, §3): per layer, 1-D k-means over the
nonzero weights with *linear* initialisation (k centroids evenly spaced over [min, max], which the
paper found best because it keeps the rare large weights), Lloyd iterations until assignments stop
changing. Pruned weights stay zero and are not in the codebook (the sparse format says where they
are). A weight is then stored as an index of ceil(log2 k) bits plus, once per layer, a codebook of k
entries of ``entry_bits`` each.

Cross-layer sharing (``scope='network'``): one codebook for every layer, k-means over the nonzero
weights of all layers together (as HashedNets/Deep Compression variants share across layers; fewer
codebook bits, usually a larger error per layer since layers' weight ranges differ). Every layer
records the same codebook with ``shared: True``; the metrics charge it once.

Where this lands in the layer graph (the documented place):
* ``layer.weight_bits`` = ceil(log2 k) — the bits stored and moved per weight (storage, DRAM traffic,
  FPGA packing all follow it);
* the codebook is a node attribute of the LayerGraph: ``graph.nx.nodes[name]["codebook"]`` =
  {"size": k, "entry_bits": b, "values": float32 array}. A datapath that models the decode step
  (index → entry, then an ``entry_bits`` MAC) reads it from there; the compression metrics charge
  its k·b bits; pruned-model files (cosim/prune/io.py) save and load it.
"""

from __future__ import annotations

import math

import numpy as np

from cosim.errors import require
from cosim.graph import LayerGraph

CODEBOOK_ATTR = "codebook"


def kmeans_1d(values: np.ndarray, k: int, iters: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(centroids sorted ascending, index of each value). Deterministic: linear init, Lloyd steps."""
    v = np.asarray(values, dtype=np.float64).ravel()
    require(k >= 1, f"codebook size must be >= 1, got {k}")
    if v.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    lo, hi = float(v.min()), float(v.max())
    cent = np.linspace(lo, hi, k) if k > 1 else np.array([v.mean()])
    idx = np.zeros(v.size, dtype=np.int64)
    for it in range(iters):
        # In 1-D the nearest centroid is found by the midpoints between sorted centroids.
        new = np.searchsorted((cent[1:] + cent[:-1]) / 2, v)
        if it and np.array_equal(new, idx):
            break
        idx = new
        sums = np.bincount(idx, weights=v, minlength=k)
        counts = np.bincount(idx, minlength=k)
        cent = np.where(counts > 0, sums / np.maximum(counts, 1), cent)  # empty cluster keeps its place
        cent = np.sort(cent)
    return cent, np.searchsorted((cent[1:] + cent[:-1]) / 2, v)


def share_weights(w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(shared weights: every nonzero replaced by its centroid, codebook). Zeros stay zero."""
    w = np.asarray(w, dtype=np.float32)
    nz = w != 0
    cent, idx = kmeans_1d(w[nz], k)
    out = np.zeros_like(w)
    out[nz] = cent[idx].astype(np.float32)
    return out, cent.astype(np.float32)


SCOPES = ("layer", "network")


def share_across(weights: dict[str, np.ndarray], k: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One codebook for all of ``weights`` (layer → array): (shared weights by layer, codebook)."""
    names = list(weights)
    flat = np.concatenate([np.asarray(weights[n], dtype=np.float32).ravel() for n in names]) if names else np.zeros(0)
    shared, codebook = share_weights(flat, k)
    out, at = {}, 0
    for n in names:
        w = np.asarray(weights[n])
        out[n] = shared[at:at + w.size].reshape(w.shape)
        at += w.size
    return out, codebook


def index_bits(k: int) -> int:
    return max(1, math.ceil(math.log2(k))) if k > 1 else 1


def attach_codebook(graph: LayerGraph, name: str, codebook: np.ndarray, entry_bits: int = 32,
                    shared: bool = False) -> None:
    """Record a layer's codebook where the rest of cosim looks for it, and set its index width.
    ``shared``: the network-wide codebook (stored once, charged once by the metrics)."""
    k = int(codebook.size)
    graph.replace(graph[name].replace(weight_bits=index_bits(k)))
    graph.nx.nodes[name][CODEBOOK_ATTR] = {"size": k, "entry_bits": int(entry_bits),
                                           "values": np.asarray(codebook, dtype=np.float32), "shared": bool(shared)}


def codebook_of(graph: LayerGraph, name: str) -> dict | None:
    return graph.nx.nodes[name].get(CODEBOOK_ATTR)
