"""Apply a pattern to a layer graph with weights: masks on the layers, or a smaller graph.

``prune_graph(graph, weights, pattern, ...)`` is the one entry point every source of weights uses
(trained digits models, ONNX initializers, PyTorch modules, seeded synthetic weights): weights come as
a dict layer name → array in the layer's GEMM view (groups, N, K). It returns a :class:`Pruned` with
the new graph (masks as ``Sparsity.from_mask`` on fine-grained patterns, shrunk dims for channel
pruning, fewer layers for layer removal), the pruned weights, and what happened to each layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph
from cosim.prune.criteria import channel_scores, element_scores
from cosim.prune.patterns import Pattern, channel_keep, check_mask, global_unstructured_masks, mask_for
from cosim.prune.structure import channel_deps, remove_branches, residual_branches, shrink_channels
from cosim.sparsity import Sparsity


@dataclass
class Pruned:
    graph: LayerGraph
    weights: dict[str, np.ndarray]  # GEMM views after pruning (zeros where masked; shrunk for channels)
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # fine-grained keep-masks by layer
    kept_channels: dict[str, np.ndarray] = field(default_factory=dict)  # channel pruning: kept filters
    removed_layers: list[str] = field(default_factory=list)  # layer removal: layers gone
    skipped: dict[str, str] = field(default_factory=dict)  # layer → why the pattern left it alone


def gemm_view(layer: Layer, w: np.ndarray) -> np.ndarray:
    """``w`` as (groups, N, K): accepts that shape, a conv weight (out, in/groups, kh, kw) or a linear
    weight (out, in) — the PyTorch / ONNX layouts — and checks the element count."""
    want = (layer.groups, layer.gemm_n, layer.gemm_k)
    w = np.asarray(w)
    require(w.size == layer.groups * layer.gemm_n * layer.gemm_k,
            f"layer '{layer.name}': weight tensor of shape {tuple(w.shape)} does not hold the "
            f"{layer.groups}x{layer.gemm_n}x{layer.gemm_k} weights of the layer")
    if w.ndim == 2 and layer.op == "linear":
        require(w.shape == (layer.out_channels, layer.in_channels),
                f"layer '{layer.name}': linear weight {tuple(w.shape)} must be (out, in) = "
                f"({layer.out_channels}, {layer.in_channels}); transpose it")
    return w.reshape(want)


def sparsity_for(pattern: Pattern, mask: np.ndarray) -> Sparsity:
    """The layer annotation of a fine-grained mask. N:M along N is reported as unstructured with its
    exact mask, since N:M in cosim's Sparsity means groups along the reduction K."""
    if pattern.kind == "nm" and pattern.axis == "k":
        return Sparsity.from_mask(mask, kind="nm", n=pattern.n, m=pattern.m)
    if pattern.kind == "block":
        return Sparsity.from_mask(mask, kind="block", block_h=pattern.block_h, block_w=pattern.block_w)
    return Sparsity.from_mask(mask, kind="unstructured")


def prunable_layers(graph: LayerGraph, weights: dict, skip: tuple[str, ...] = ()) -> list[str]:
    for s in skip:
        require(s in graph, f"--skip: no layer named '{s}' in workload '{graph.name}'")
    return [l.name for l in graph.compute_layers() if l.has_weights and l.name in weights and l.name not in skip]


def validate(graph: LayerGraph, pattern: Pattern, *, criterion: str = "magnitude", scope: str = "layer",
             skip: tuple[str, ...] = (), layer_sparsity: dict[str, float] | None = None) -> None:
    """Check a recipe against a graph's shapes before any expensive work (training, weights)."""
    from cosim.prune.criteria import CRITERIA

    require(criterion in CRITERIA, f"--criterion '{criterion}' is unknown; use one of {', '.join(CRITERIA)}")
    require(scope in ("layer", "global"), f"--scope '{scope}' is unknown; use layer or global")
    require(scope == "layer" or pattern.kind == "unstructured",
            f"--scope global works with unstructured patterns only, not '{pattern.label}'")
    require(pattern.kind != "threshold" or criterion in ("magnitude", "l1"),
            f"--pattern {pattern.label} thresholds |w|; use --criterion magnitude, not {criterion}")
    names = [l.name for l in graph.compute_layers() if l.has_weights and l.name not in skip
             and (layer_sparsity or {}).get(l.name, 1.0) != 0.0]
    for s in skip:
        require(s in graph, f"--skip: no layer named '{s}' in workload '{graph.name}'")
    if pattern.kind == "block":
        for n in names:
            l = graph[n]
            require(l.gemm_n % pattern.block_h == 0 and l.gemm_k % pattern.block_w == 0,
                    f"layer '{n}': block {pattern.block_h}x{pattern.block_w} does not divide its GEMM view "
                    f"N x K = {l.gemm_n} x {l.gemm_k}; pick a block shape dividing both or --skip {n}")
    if pattern.kind == "channel":
        require(any(not isinstance(channel_deps(graph, n), str) for n in names),
                f"workload '{graph.name}': no layer can be channel-pruned (every one feeds an add, concat, "
                "matmul or the output); use a fine-grained pattern")
    if pattern.kind == "layer":
        require(bool(residual_branches(graph)),
                f"workload '{graph.name}' has no residual branch with an identity skip; layer removal needs a "
                "residual path (use channel or a fine-grained pattern)")


def prune_graph(graph: LayerGraph, weights: dict[str, np.ndarray], pattern: Pattern, *,
                criterion: str = "magnitude", scope: str = "layer",
                layer_sparsity: dict[str, float] | None = None, skip: tuple[str, ...] = (),
                taylor_sq: dict[str, np.ndarray] | None = None, input_var: dict[str, np.ndarray] | None = None,
                prev_masks: dict[str, np.ndarray] | None = None, seed: int = 0) -> Pruned:
    """Prune ``graph`` (weights in GEMM view by layer name) with ``pattern``.

    ``scope``: 'layer' (every layer at the pattern's sparsity, or ``layer_sparsity[name]``) or
    'global' (one score threshold across layers; unstructured only). ``prev_masks``: weights pruned
    before stay pruned (iterative schedules). Weights missing from ``weights`` are left dense.
    """
    require(scope in ("layer", "global"), f"--scope '{scope}' is unknown; use layer or global")
    require(scope == "layer" or pattern.kind == "unstructured",
            f"--scope global works with unstructured patterns only, not '{pattern.label}'")
    # No copies: pruning builds new arrays (w · mask, slices) and never writes into the inputs.
    weights = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    candidates = prunable_layers(graph, weights, skip)
    require(bool(candidates) or pattern.kind == "dense",
            f"workload '{graph.name}' has no weighted layer to prune (all skipped or no weights)")
    layer_sparsity = dict(layer_sparsity or {})
    for n, s in layer_sparsity.items():
        require(n in graph, f"per-layer sparsity names '{n}', which is not a layer of '{graph.name}'")
        require(0.0 <= s < 1.0, f"layer '{n}': sparsity {s} is outside [0, 1)")
    for n in candidates:
        weights[n] = gemm_view(graph[n], weights[n])
    # A per-layer target of 0 leaves that layer dense (allocation picks it for layers not worth pruning).
    names = [n for n in candidates if layer_sparsity.get(n, 1.0) != 0.0]
    if not names:
        return Pruned(graph.copy(), weights)

    def scores_of(n: str) -> np.ndarray:
        sc = element_scores(criterion, n, weights[n], taylor_sq=(taylor_sq or {}).get(n),
                            input_var=(input_var or {}).get(n), seed=seed)
        if prev_masks and n in prev_masks:
            sc = np.where(prev_masks[n], sc, -1.0)  # below every real score: stays pruned
        return sc

    if pattern.kind == "dense":
        return Pruned(graph.copy(), weights)
    if pattern.kind == "channel":
        return _prune_channels(graph, weights, names, pattern, layer_sparsity, scores_of)
    if pattern.kind == "layer":
        return _remove_layers(graph, weights, names, pattern, scores_of)

    out = graph.copy()
    if scope == "global":
        masks = global_unstructured_masks({n: scores_of(n) for n in names}, pattern.sparsity)
    else:
        masks = {n: mask_for(pattern, scores_of(n), layer_sparsity.get(n, pattern.sparsity), n) for n in names}
    for n in names:
        m = masks[n]
        if prev_masks and n in prev_masks:
            m = m & prev_masks[n]
            if not m.any():
                m = prev_masks[n].copy()
        check_mask(m, pattern, n)
        masks[n] = m
        weights[n] = weights[n] * m
        out.replace(graph[n].replace(weight_sparsity=sparsity_for(pattern, m)))
    return Pruned(out, weights, masks=masks)


def _prune_channels(graph, weights, names, pattern, layer_sparsity, scores_of) -> Pruned:
    skipped: dict[str, str] = {}
    keeps: dict[str, np.ndarray] = {}
    for n in names:  # score everything on the unpruned network first (one-shot filter ranking)
        deps = channel_deps(graph, n)
        if isinstance(deps, str):
            skipped[n] = f"not channel-prunable: it {deps}"
            continue
        keeps[n] = channel_keep(channel_scores(scores_of(n)), layer_sparsity.get(n, pattern.sparsity))
    require(bool(keeps), f"workload '{graph.name}': no layer can be channel-pruned "
                         f"({'; '.join(f'{k} {v}' for k, v in list(skipped.items())[:3])})")
    out = graph
    for n, keep in keeps.items():
        out = shrink_channels(out, weights, n, keep)
    return Pruned(out, weights, kept_channels=keeps, skipped=skipped)


def _remove_layers(graph, weights, names, pattern, scores_of) -> Pruned:
    branches = residual_branches(graph)
    if not branches:
        raise CosimError(f"workload '{graph.name}' has no residual branch with an identity skip; "
                         "layer removal needs a residual path (use channel or a fine-grained pattern)")
    total = sum(weights[n].size for n in names)
    rank = []
    for b in branches:
        wl = [n for n in b.layers if n in weights]
        size = sum(weights[n].size for n in wl)
        score = sum(float(scores_of(n).sum()) for n in wl) / size if size else 0.0
        rank.append((score, b, size))
    rank.sort(key=lambda t: t[0])
    chosen, removed = [], 0
    for _score, b, size in rank:
        if removed + size <= pattern.sparsity * total:
            chosen.append(b)
            removed += size
    out = remove_branches(graph, chosen)
    gone = [n for b in chosen for n in b.layers] + [b.add for b in chosen]
    for n in gone:
        weights.pop(n, None)
    skipped = {} if chosen else {"*": f"no residual branch fits within {pattern.sparsity:g} of the weights"}
    return Pruned(out, weights, removed_layers=gone, skipped=skipped)
