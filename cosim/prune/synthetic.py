"""Seeded synthetic weights for workloads without trained ones, and the weight-norm accuracy proxy.

Zoo workloads (ResNet-50, BERT-base, ...) come as shapes only. To prune them the engine needs
weights; these are drawn He-normal (std = sqrt(2 / fan_in), He et al. 2015 — the initialisation of
such networks), one generator per layer seeded from the run seed and the layer's name, so a layer's
weights do not depend on which other layers exist. Accuracy is then unknowable: the reports carry the
proxy below, named as a proxy, never as an accuracy.
"""

from __future__ import annotations

import numpy as np

from cosim.graph import LayerGraph
from cosim.prune.criteria import layer_seed

PROXY_NAME = "accuracy_proxy_weight_norm"


def synthetic_weights(graph: LayerGraph, seed: int = 0) -> dict[str, np.ndarray]:
    """He-normal float32 weights in the GEMM view (groups, N, K) for every weighted layer."""
    out = {}
    for l in graph.compute_layers():
        if not l.has_weights:
            continue
        rng = np.random.default_rng(layer_seed(seed, "synthetic:" + l.name))
        w = rng.standard_normal((l.groups, l.gemm_n, l.gemm_k), dtype=np.float32)
        w *= np.float32(np.sqrt(2.0 / l.gemm_k))
        out[l.name] = w
    return out


def weight_norm_proxy(original: dict[str, np.ndarray], pruned: dict[str, np.ndarray],
                      effective: dict[str, np.ndarray] | None = None) -> float:
    """``accuracy_proxy_weight_norm`` = 1 − Σ‖W − Ŵ‖² / Σ‖W‖² over all weighted layers, in [0, 1].

    ``pruned``: weights after pruning (kept entries unchanged, pruned ones zero or removed with their
    channel or layer), so the pruning error of a layer is ‖W‖² − ‖W_pruned‖² whatever its new shape;
    ``effective``: the pruned weights as stored (quantized / shared), same shapes as ``pruned``, whose
    difference adds the quantization error. A proxy: weight energy kept, not accuracy.
    """
    total = err = 0.0
    for name, w in original.items():
        e = float(np.sum(np.square(w, dtype=np.float64)))
        total += e
        if name not in pruned:
            err += e
            continue
        p = pruned[name]
        err += max(0.0, e - float(np.sum(np.square(p, dtype=np.float64))))
        if effective is not None and name in effective:
            err += float(np.sum(np.square(p.astype(np.float64) - effective[name])))
    return 1.0 - err / total if total else 1.0
