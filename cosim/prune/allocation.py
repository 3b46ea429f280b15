"""Hardware-aware per-layer sparsity: prune hardest where it pays on the target datapath.

The cost is a function of the pruned graph handed in by the caller (:class:`Cost`); the CLI and the
workflow pass ``cosim.simulate.network_cost(spec, metric)``, the simulator's own network totals through
its value-keyed cache: a candidate allocation (a sparsity per layer) is applied to the graph — masks
for fine-grained patterns, smaller dims for channel pruning — and simulated on the accelerator. The
budget is a latency (s) or an energy (pJ).

The search is the greedy latency-saliency knapsack of HALP (Shen et al., NeurIPS 2022, "Structural
Pruning via Latency-Saliency Knapsack") with NetAdapt's (Yang et al., ECCV 2018) rule of measuring
both sides directly rather than trusting proxies such as MACs: from dense, repeatedly take the step
(one layer up one sparsity level, or every layer up one level) that loses the least saliency per unit
of cost saved, re-simulating the whole configuration after every step, so interactions between
layers (a channel cut shrinks its consumer too; a pipeline is as fast as its slowest stage) are
priced exactly; once within budget, give levels back wherever the budget still holds (greedy steps
overshoot). Uniform sparsity is part of the search space: the least uniform level meeting the budget
(with levels given back likewise) replaces the greedy result when its saliency is lower, so the
search never returns an allocation it judges worse than uniform. Saliency is a function of the whole allocation: for the digits models the measured
validation loss of the network pruned that way after a short (one-epoch) fine-tune, NetAdapt's
short-term fine-tuning (cosim/prune/session.py), so interactions between layers count there too;
without data, the fraction of the network's criterion score removed, summed over layers (a weak
signal: it favours pruning small layers whatever their role, so allocations on synthetic weights
show where sparsity pays on the hardware more than what the accuracy would be). A layer whose sparsity the datapath does not reward never saves cost, so it is never
chosen and stays dense.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph
from cosim.prune.criteria import channel_scores, element_scores
from cosim.prune.engine import gemm_view, prune_graph, sparsity_for
from cosim.prune.patterns import Pattern, nm_mask, prune_count

# Per-layer sparsity levels are multiples of 1/16 up to the pattern's sparsity: a resolution choice
# (assumption) trading search time against how finely the budget can be met.
LEVEL_STEP = 1 / 16
METRICS = ("latency_s", "energy_pj")

Sensitivity = Callable[[str, float], float]  # (layer, level) → saliency lost, additive over layers
Saliency = Callable[[dict], float]  # allocation → saliency (e.g. measured validation loss); lower is better


@dataclass(frozen=True)
class Allocation:
    layer_sparsity: dict[str, float]
    cost: float  # of the allocation, in ``metric`` units
    dense_cost: float
    budget: float
    metric: str  # latency_s | energy_pj
    saliency: float  # saliency of the chosen allocation (lower = less accuracy at risk)
    steps: list[tuple[str, float, float]] = field(default_factory=list)  # (layer, level, cost after)


@dataclass(frozen=True)
class Cost:
    """What the allocator keeps within the budget: a function of a pruned graph (e.g.
    ``cosim.simulate.network_cost(spec, metric)``: what ``cosim.simulate`` reports) and its metric."""

    of: Callable[[LayerGraph], float]
    metric: str = "latency_s"

    def __post_init__(self) -> None:
        require(self.metric in METRICS, f"allocation metric '{self.metric}' is unknown; use latency_s or energy_pj")

    def __call__(self, graph: LayerGraph) -> float:
        return float(self.of(graph))


class Configurator:
    """Builds the pruned graph of an allocation. Fine-grained layer variants are built once per
    (layer, level); unstructured masks come from one stable score ranking per layer."""

    def __init__(self, graph: LayerGraph, weights: dict[str, np.ndarray], pattern: Pattern,
                 criterion: str = "magnitude", seed: int = 0):
        self.graph, self.weights, self.pattern = graph, weights, pattern
        self.criterion, self.seed = criterion, seed
        self._variants: dict[tuple[str, float], Layer] = {}
        self._order: dict[str, np.ndarray] = {}

    def variant(self, name: str, level: float) -> Layer:
        key = (name, level)
        if key not in self._variants:
            layer = self.graph[name]
            if self.pattern.kind == "unstructured":
                if name not in self._order:
                    w = gemm_view(layer, self.weights[name])
                    sc = element_scores(self.criterion, name, w, seed=self.seed)
                    self._order[name] = np.argsort(sc.ravel(), kind="stable")
                order = self._order[name]
                keep = np.ones(order.size, dtype=bool)
                keep[order[:prune_count(order.size, level)]] = False
                mask = keep.reshape(layer.groups, layer.gemm_n, layer.gemm_k)
                self._variants[key] = layer.replace(weight_sparsity=sparsity_for(self.pattern, mask))
            else:
                res = prune_graph(self.graph, {name: self.weights[name]}, self.pattern.at_sparsity(level),
                                  criterion=self.criterion, layer_sparsity={name: level}, seed=self.seed)
                self._variants[key] = res.graph[name]
        return self._variants[key]

    def build(self, alloc: dict[str, float]) -> LayerGraph:
        active = {n: s for n, s in alloc.items() if s > 0}
        if not active:
            return self.graph
        if self.pattern.kind == "channel":
            sub = {n: self.weights[n] for n in active}
            return prune_graph(self.graph, sub, self.pattern, criterion=self.criterion, layer_sparsity=active,
                               seed=self.seed).graph
        g = self.graph.copy()
        for n, s in active.items():
            g.replace(self.variant(n, s))
        return g


def weight_energy_sensitivity(graph: LayerGraph, weights: dict[str, np.ndarray], pattern: Pattern,
                              criterion: str = "magnitude", seed: int = 0) -> Sensitivity:
    """Saliency without data: criterion score removed from a layer at a level / all scores."""
    scores = {n: element_scores(criterion, n, w, seed=seed) for n, w in weights.items()}
    total = sum(float(s.sum()) for s in scores.values()) or 1.0
    cache: dict = {}

    def sens(name: str, level: float) -> float:
        if level <= 0:
            return 0.0
        if (name, level) not in cache:
            sc = scores[name]
            if pattern.kind == "channel":
                rows = np.sort(channel_scores(sc))
                removed = rows[:int(round(level * rows.size))].sum()
            elif pattern.kind == "nm":
                removed = sc[~nm_mask(sc, pattern.n, pattern.m, pattern.axis)].sum()
            else:
                flat = np.sort(sc.ravel())
                removed = flat[:int(round(level * flat.size))].sum()
            cache[(name, level)] = float(removed) / total
        return cache[(name, level)]

    return sens


def allocatable_layers(graph: LayerGraph, weights: dict[str, np.ndarray], pattern: Pattern,
                       skip: tuple[str, ...] = ()) -> list[str]:
    """Weighted layers the pattern can prune: channel-prunable ones for channel pruning, layers whose
    GEMM view the block divides for block pruning, every weighted layer otherwise."""
    from cosim.prune.structure import channel_deps

    out = []
    for l in graph.compute_layers():
        if not l.has_weights or l.name not in weights or l.name in skip:
            continue
        if pattern.kind == "channel" and isinstance(channel_deps(graph, l.name), str):
            continue
        if pattern.kind == "block" and (l.gemm_n % pattern.block_h or l.gemm_k % pattern.block_w):
            continue
        out.append(l.name)
    require(pattern.kind != "layer", "hardware-aware allocation chooses per-layer sparsity; it does not "
                                     "apply to whole-layer removal (pattern layer:S)")
    return out


def levels_for(pattern: Pattern, levels: tuple[float, ...] | None = None) -> tuple[float, ...]:
    """Sparsity levels a layer may take: dense or N:M for N:M patterns; otherwise ``levels`` or the
    multiples of 1/16 up to the pattern's sparsity (which is then the most any layer is pruned)."""
    if pattern.kind == "nm":
        return (0.0, 1.0 - pattern.n / pattern.m)
    if levels is None:
        top = pattern.sparsity
        require(top > 0, f"--pattern {pattern.label}: with a budget the pattern's sparsity is the most any "
                         "layer may be pruned; give one above 0, e.g. unstructured:0.9")
        levels = tuple(i * LEVEL_STEP for i in range(int(top / LEVEL_STEP + 1e-9) + 1)) + (top,)
    lv = tuple(sorted(set(float(x) for x in levels) | {0.0}))
    for s in lv:
        require(0.0 <= s < 1.0, f"allocation level {s} is outside [0, 1)")
    return lv


def additive(sensitivity: Sensitivity) -> Saliency:
    """A per-layer sensitivity table as a saliency of whole allocations (the sum over layers)."""
    return lambda alloc: float(sum(sensitivity(n, s) for n, s in alloc.items()))


def allocate(graph: LayerGraph, weights: dict[str, np.ndarray], pattern: Pattern, cost: Cost,
             budget: float, saliency: Saliency, *, levels: tuple[float, ...] | None = None,
             layers: list[str] | None = None, criterion: str = "magnitude", seed: int = 0) -> Allocation:
    """Greedy latency/energy-saliency knapsack (module doc). Raises CosimError when no allocation
    within the levels meets the budget.

    Each step considers raising one layer by one level, and all layers by one level together (so a
    datapath whose cost only falls when every stage gets faster, like a dataflow pipeline, still
    makes progress); if none of those saves cost, one layer jumping several levels. It takes the
    candidate losing the least saliency per unit of cost saved."""
    require(budget > 0, f"budget must be > 0 {cost.metric}, got {budget}")
    lv = levels_for(pattern, levels)
    names = layers if layers is not None else allocatable_layers(graph, weights, pattern)
    conf = Configurator(graph, weights, pattern, criterion, seed)
    memo: dict = {}

    def sal(alloc: dict) -> float:
        key = tuple(sorted(alloc.items()))
        if key not in memo:
            memo[key] = saliency(alloc)
        return memo[key]

    def try_cost(alloc: dict) -> float | None:
        try:
            return cost(conf.build(alloc))
        except CosimError:
            return None  # a level this layer cannot take (e.g. a block shape that does not divide it)

    def up(level: float, by: int = 1) -> float | None:
        higher = [x for x in lv if x > level]
        return higher[by - 1] if len(higher) >= by else None

    cur = {n: 0.0 for n in names}
    dense = now = cost(graph)
    steps: list[tuple[str, float, float]] = []
    if dense <= budget:  # nothing to prune for
        return Allocation(cur, dense, dense, budget, cost.metric, sal(cur), steps)
    while now > budget:
        base = sal(cur)
        cands = [(n, dict(cur, **{n: up(cur[n])})) for n in names if up(cur[n]) is not None]
        joint = {n: (up(s) if up(s) is not None else s) for n, s in cur.items()}
        if joint != cur:
            cands.append(("*", joint))
        best = _best(cands, now, base, sal, try_cost)
        if best is None:  # no one-level step pays: let single layers jump
            jumps = [(n, dict(cur, **{n: x})) for n in names for x in lv if x > cur[n]]
            best = _best(jumps, now, base, sal, try_cost)
        if best is None:
            raise CosimError(f"budget {budget:.4g} {cost.metric} cannot be met: pruning every layer where it "
                             f"pays, up to sparsity {max(lv):g}, still costs {now:.4g} {cost.metric} "
                             f"(dense {dense:.4g}); raise the budget or the pattern's sparsity")
        who, cur, now = best
        steps.append((who, max(cur.values()), now))
    cur, now = _give_back(cur, now, budget, names, lv, try_cost, sal)
    # Uniform sparsity is one allocation of the search space, and greedy steps are myopic: the least
    # uniform level that meets the budget (levels given back where it still holds) is kept instead
    # when its saliency is lower.
    uni = uniform_within_budget(names, lv, budget, try_cost, sal)
    if uni is not None and sal(uni[0]) < sal(cur):
        cur, now = uni
        steps.append(("uniform", max(cur.values()), now))
    return Allocation(cur, now, dense, budget, cost.metric, sal(cur), steps)


def uniform_within_budget(names, lv, budget, try_cost, sal) -> tuple[dict, float] | None:
    """(allocation, cost): every layer at the least level meeting the budget, then levels given back
    where the budget still holds; None when no uniform level meets it."""
    for level in lv[1:]:
        uni = {n: level for n in names}
        c = try_cost(uni)
        if c is not None and c <= budget:
            return _give_back(uni, c, budget, names, lv, try_cost, sal)
    return None


def _best(cands, now, base, sal, try_cost):
    best = None
    for who, alloc in cands:
        c = try_cost(alloc)
        if c is None or now - c <= 0:
            continue  # sparsity here does not pay on this datapath
        ratio = (sal(alloc) - base) / (now - c)
        if best is None or ratio < best[0]:
            best = (ratio, who, alloc, c)
    return None if best is None else best[1:]


def _give_back(cur, now, budget, names, lv, try_cost, sal):
    """Lower any layer's level while the budget still holds, most saliency regained first: greedy
    steps overshoot, and budget left over is accuracy left on the table."""
    while True:
        best = None
        base = sal(cur)
        for n in names:
            lower = [x for x in lv if x < cur[n]]
            if not lower:
                continue
            cand = dict(cur, **{n: lower[-1]})
            c = try_cost(cand)
            if c is None or c > budget:
                continue
            gain = base - sal(cand)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, cand, c)
        if best is None:
            return cur, now
        _, cur, now = best


def uniform_cost(graph: LayerGraph, weights: dict[str, np.ndarray], pattern: Pattern, cost: Cost,
                 sparsity: float, layers: list[str], criterion: str = "magnitude", seed: int = 0) -> float:
    """Cost of every layer in ``layers`` at the same sparsity."""
    conf = Configurator(graph, weights, pattern, criterion, seed)
    return cost(conf.build({n: sparsity for n in layers}))


def uniform_except(sizes: dict[str, int], sparsity: float, dense: tuple[str, ...]) -> dict[str, float]:
    """Per-layer sparsities that prune ``sparsity`` of the network's weights (``sizes``: weights per
    layer) with the layers in ``dense`` left dense and every other layer at one common sparsity
    s = sparsity · Σ sizes / Σ sizes outside ``dense``.

    The usual practice for uniform per-layer sparsity keeps the first convolution dense: it holds a
    negligible share of the weights but sees every input pixel (Evci et al. 2020, "Rigging the Lottery",
    §3 "Uniform"; Han et al. 2015, Table 4, prune AlexNet's conv1 least, to 84 % of its weights).
    """
    for n in dense:
        require(n in sizes, f"dense layer '{n}' is not a weighted layer (use one of {', '.join(sizes)})")
    require(0.0 <= sparsity < 1.0, f"sparsity must be in [0, 1), got {sparsity}")
    total = sum(sizes.values())
    rest = total - sum(sizes[n] for n in dense)
    require(rest > 0 and sparsity * total <= rest,
            f"sparsity {sparsity:g} cannot be reached with {', '.join(dense)} dense: the other layers hold "
            f"{rest} of {total} weights (lower the sparsity or leave fewer layers dense)")
    s = sparsity * total / rest
    return {n: (0.0 if n in dense else s) for n in sizes}
