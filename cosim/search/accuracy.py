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
``accuracy_proxy_network_aware`` every workload: Π_l e_l^s_l over the weight layers — a geometric mean
                                of e_l, the kept weight energy ‖Ŵ_l‖² / ‖W_l‖² of the layer's *own*
                                weights (seeded He-normal in the layer's GEMM shape, or given) under
                                the pattern, weighted by the layers' sensitivities s_l (Σ s_l = 1).
                                Without data every layer on the signal path gets the same s_l,
                                whatever its size: the stem and the classifier, small but the most
                                sensitive to pruning, count as much as the big middle layers, where
                                the weight-norm proxy weights layers by their weight counts. Layers
                                left dense count e = 1. It sees layer shapes (small layers, N:M
                                tails, blocks that do not divide). Still a proxy, not an accuracy.
"""

from __future__ import annotations

import functools
import numpy as np

from cosim.sparsity import Sparsity

PROXY = "accuracy_proxy_weight_norm"
NETWORK_PROXY = "accuracy_proxy_network_aware"
_MAX_SAMPLED_WEIGHTS = 16_384  # per layer: whole rows (filters) of the GEMM view, so N:M groups and blocks stay intact
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


def _pattern_of(sp: Sparsity):
    from cosim.prune.patterns import Pattern

    if sp.kind == "nm":
        return Pattern("nm", 1.0 - sp.n / sp.m, n=sp.n, m=sp.m)
    return Pattern(sp.kind, 1.0 - sp.density, block_h=sp.block_h, block_w=sp.block_w)


def layer_kept_energy(w: np.ndarray, sp: Sparsity) -> float:
    """e = ‖Ŵ‖² / ‖W‖² of one layer's weights (groups, N, K) pruned by magnitude to ``sp``."""
    from cosim.prune.patterns import channel_keep, mask_for

    if sp.kind == "dense" or sp.density >= 1.0:
        return 1.0
    total = float(np.sum(np.square(w, dtype=np.float64)))
    if not total:
        return 1.0
    scores = np.abs(w)
    if sp.kind == "channel":
        keep = channel_keep(scores.sum(axis=2).ravel(), 1.0 - sp.density)
        kept = float(np.sum(np.square(w.reshape(-1, w.shape[2])[keep], dtype=np.float64)))
    else:
        if sp.kind == "block" and (w.shape[1] % sp.block_h or w.shape[2] % sp.block_w):
            return weight_norm_kept(sp.kind, round(sp.density, 6), block_h=sp.block_h, block_w=sp.block_w)
        kept = float(np.sum(np.square(w * mask_for(_pattern_of(sp), scores), dtype=np.float64)))
    return kept / total


@functools.lru_cache(maxsize=4096)
def _shape_kept_energy(n: int, k: int, kind: str, density: float, nn: int, mm: int, bh: int, bw: int,
                       seed: int) -> float:
    """e of seeded He-normal weights of a (1, rows, k) sample of an n × k layer: whole rows, at most
    _MAX_SAMPLED_WEIGHTS, a multiple of the block height; seeded by shape, so equal layers share it."""
    unit = bh if kind == "block" and bh else 1
    rows = min(n, max(unit, (_MAX_SAMPLED_WEIGHTS // max(k, 1)) // unit * unit))
    rng = np.random.default_rng([seed, n, k])
    w = rng.standard_normal((1, rows, k)) * np.sqrt(2.0 / k)
    sp = Sparsity(kind=kind, density=density, n=nn, m=mm, block_h=bh, block_w=bw)
    return layer_kept_energy(w, sp)


def network_aware_proxy(graph, pattern: Sparsity, keep_dense: frozenset = frozenset(),
                        sensitivity: dict[str, float] | None = None, weights: dict[str, np.ndarray] | None = None,
                        seed: int = 0) -> float:
    """``accuracy_proxy_network_aware`` (module docstring) of ``graph`` pruned to ``pattern``;
    ``sensitivity``: layer → relative sensitivity (normalised here; default equal)."""
    layers = [l for l in graph.layers() if l.has_weights]
    if not layers:
        return 1.0
    sens = {l.name: float((sensitivity or {}).get(l.name, 1.0)) for l in layers}
    total = sum(sens.values()) or 1.0
    log_sum = 0.0
    for l in layers:
        if l.name in keep_dense:
            continue
        if weights and l.name in weights:
            e = layer_kept_energy(np.asarray(weights[l.name], dtype=np.float64).reshape(
                l.groups, l.gemm_n, l.gemm_k), pattern)
        else:
            e = _shape_kept_energy(l.gemm_n, l.gemm_k, pattern.kind, round(pattern.density, 6), pattern.n,
                                   pattern.m, pattern.block_h, pattern.block_w, seed)
        log_sum += sens[l.name] / total * np.log(max(e, 1e-300))
    return float(np.exp(log_sum))


def accuracy_metrics(variant) -> dict[str, float]:
    """{'accuracy': measured or NaN, PROXY: the weight-norm proxy, RANKED: the first of the two that
    exists} of one pruned workload."""
    acc = variant.accuracy
    measured = float("nan") if acc is None else float(acc)
    return {"accuracy": measured, PROXY: float(variant.proxy),
            RANKED: float(variant.proxy) if acc is None else measured,
            NETWORK_PROXY: float(variant.network_proxy)}
