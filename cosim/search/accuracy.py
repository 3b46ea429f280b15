"""The accuracy side of a design point, in metrics kept apart so no plot passes one off as the other.

``accuracy``                    top-1 test accuracy measured by cosim.prune (train, prune with the
                                recipe's fine-tuning, quantize; cosim/search/recipes.py) for the
                                embedded models (``digits-*``, ``mnist-*``); NaN for workloads without
                                trained weights and data.
``accuracy_measured_or_proxy``  the ranking column of the default co-search: ``accuracy`` where it is
                                measured, else ``accuracy_proxy_weight_norm``. Fronts are per workload,
                                so one front never mixes the two; ``accuracy`` (NaN or not) says which
                                a row holds, and the column's name says it may be a proxy.
``accuracy_proxy_weight_norm``  every workload: cosim.prune's weight-norm proxy 1 − Σ‖W − Ŵ‖² / Σ‖W‖²
                                (cosim/prune/synthetic.py), i.e. the weight energy magnitude pruning
                                keeps, per layer, weighted by the layer's weight count. Each pattern is
                                applied with cosim.prune's own masks to one seeded He-normal 256 × 256
                                sample matrix rather than to all of a network's weights (ResNet-50 alone
                                holds 25 M), which is what makes it cheap enough for every sweep point.
                                It ranks patterns by what structure costs them at equal density, not
                                an accuracy.
"""

from __future__ import annotations

import functools
import numpy as np

from cosim.sparsity import Sparsity

PROXY = "accuracy_proxy_weight_norm"
RANKED = "accuracy_measured_or_proxy"
_SAMPLE_SHAPE = (1, 256, 256)  # GEMM view (groups, filters N, reduction K): divisible by usual N:M groups and blocks
_SAMPLE_SEED = 0


@functools.lru_cache(maxsize=1)
def _sample() -> np.ndarray:
    rng = np.random.default_rng(_SAMPLE_SEED)
    return rng.standard_normal(_SAMPLE_SHAPE) * np.sqrt(2.0 / _SAMPLE_SHAPE[2])  # He-normal


@functools.lru_cache(maxsize=256)
def weight_norm_kept(kind: str, density: float, n: int = 0, m: int = 0, block_h: int = 0, block_w: int = 0) -> float:
    """cosim.prune's weight-norm proxy of one pattern on the seeded sample matrix, in [0, 1]."""
    from cosim.prune.patterns import Pattern, channel_keep, mask_for
    from cosim.prune.synthetic import weight_norm_proxy

    if kind == "dense" or density >= 1.0:
        return 1.0
    w = _sample()
    scores = np.abs(w)
    if kind == "channel":
        keep = channel_keep(scores.sum(axis=2).ravel(), 1.0 - density)
        pruned = w[:, keep]
    else:
        pattern = (Pattern("nm", 1.0 - n / m, n=n, m=m) if kind == "nm" else
                   Pattern(kind, 1.0 - density, block_h=block_h, block_w=block_w))
        pruned = w * mask_for(pattern, scores)
    return weight_norm_proxy({"w": w}, {"w": pruned})


def pattern_proxy(graph, pattern: Sparsity, keep_dense: frozenset = frozenset()) -> float:
    """The weight-norm proxy of pruning every weight layer of ``graph`` (except ``keep_dense``) to
    ``pattern``, weighted by each layer's weight count."""
    kept_one = weight_norm_kept(pattern.kind, round(pattern.density, 6), pattern.n, pattern.m, pattern.block_h,
                                pattern.block_w)
    params = kept = 0.0
    for layer in graph.layers():
        if layer.params:
            params += layer.params
            kept += layer.params * (1.0 if layer.name in keep_dense else kept_one)
    return kept / params if params else 1.0


def accuracy_metrics(variant) -> dict[str, float]:
    """{'accuracy': measured or NaN, PROXY: the weight-norm proxy, RANKED: the first of the two that
    exists} of one pruned workload."""
    acc = variant.accuracy
    measured = float("nan") if acc is None else float(acc)
    return {"accuracy": measured, PROXY: float(variant.proxy),
            RANKED: float(variant.proxy) if acc is None else measured}
