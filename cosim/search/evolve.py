"""Evolutionary pruning: NSGA-II over per-layer sparsities, accuracy × latency × energy on one accelerator.

A genome holds one sparsity level per prunable weight layer (levels: multiples of 1/16 up to the
pattern's sparsity, cosim/prune/allocation.py; N:M layers are either dense or N:M). NSGA-II (Deb et
al. 2002): a seeded random population, binary tournaments on (front rank, crowding distance),
uniform crossover, per-gene mutation to a neighbouring level, and elitist survival of parents and
children together by non-dominated sorting (cosim/search/pareto.py). Each distinct genome is
evaluated once:

* accuracy — measured test accuracy for the embedded models (pruned to the genome, fine-tuned
  ``finetune_epochs``; cosim/prune/workflow.py), a user evaluator's number where one is given
  (cosim/search/evaluator.py), otherwise ``accuracy_proxy_network_aware`` of the layers' own
  (synthetic) weights, named as a proxy in the result;
* latency_s and energy_j — the simulator's totals for the pruned graph on the accelerator.

The same workload, accelerator, pattern, settings and seed give the same front.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cosim.errors import require
from cosim.search.pareto import crowding_distance, nondominated_ranks

MUTATION_RATE = 0.2  # per gene; Deb et al. use 1/genes for real codings, a coarser grid mutates more


@dataclass(frozen=True)
class Individual:
    genome: tuple[int, ...]  # level index per layer
    layer_sparsity: dict = field(compare=False)  # layer → sparsity
    accuracy: float
    latency_s: float
    energy_j: float


@dataclass(frozen=True)
class EvolveResult:
    workload: str
    accelerator: str
    pattern: str
    accuracy_kind: str  # 'measured' | 'proxy:accuracy_proxy_network_aware' | 'evaluator:<module:function>'
    layers: tuple[str, ...]
    levels: tuple[float, ...]
    front: tuple[Individual, ...]  # non-dominated individuals of everything evaluated
    evaluated: int  # distinct genomes evaluated
    generations: int


def nsga2(n_genes: int, radix: int, evaluate: Callable[[tuple[int, ...]], tuple[float, float, float]], *,
          population: int, generations: int, seed: int, maximize=(True, False, False),
          initial: list[tuple[int, ...]] = ()) -> dict[tuple[int, ...], tuple[float, ...]]:
    """Run NSGA-II over genomes of ``n_genes`` integers in [0, radix); returns every evaluated genome's
    objectives. ``evaluate`` may raise CosimError for an infeasible genome (it then loses every
    tournament and is never kept)."""
    from cosim.errors import CosimError

    require(population >= 2, f"--population must be >= 2, got {population}")
    require(generations >= 0, f"--generations must be >= 0, got {generations}")
    rng = np.random.default_rng(seed)
    seen: dict[tuple[int, ...], tuple[float, ...] | None] = {}
    signs = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)

    def score(g: tuple[int, ...]) -> None:
        if g not in seen:
            try:
                seen[g] = tuple(float(v) for v in evaluate(g))
            except CosimError:
                seen[g] = None

    def rank(members: list[tuple[int, ...]]) -> dict[tuple[int, ...], tuple[int, float]]:
        ok = [g for g in members if seen[g] is not None]
        out = {g: (1 << 30, 0.0) for g in members if seen[g] is None}
        if ok:
            f = np.array([seen[g] for g in ok]) * signs
            ranks = nondominated_ranks(f)
            for r in range(int(ranks.max()) + 1):
                idx = np.flatnonzero(ranks == r)
                for j, d in zip(idx, crowding_distance(f[idx])):
                    out[ok[j]] = (int(r), float(d))
        return out

    pop: list[tuple[int, ...]] = list(dict.fromkeys(tuple(int(x) for x in g) for g in initial))
    tries = 0
    while len(pop) < population and tries < 50 * population:
        tries += 1
        g = tuple(int(x) for x in rng.integers(0, radix, n_genes))
        if g not in pop:
            pop.append(g)
    for g in pop:
        score(g)
    for _ in range(generations):
        r = rank(pop)

        def pick() -> tuple[int, ...]:
            a, b = rng.integers(0, len(pop), size=2)
            ka, kb = r[pop[a]], r[pop[b]]
            return pop[a] if (ka[0], -ka[1]) <= (kb[0], -kb[1]) else pop[b]

        children: list[tuple[int, ...]] = []
        for _c in range(population * 4):
            if len(children) >= population:
                break
            p1, p2 = np.array(pick()), np.array(pick())
            child = np.where(rng.random(n_genes) < 0.5, p1, p2)
            for j in np.flatnonzero(rng.random(n_genes) < MUTATION_RATE):
                child[j] = int(np.clip(child[j] + rng.choice((-1, 1)), 0, radix - 1))
            c = tuple(int(x) for x in child)
            if c not in seen and c not in children:
                children.append(c)
        for c in children:
            score(c)
        merged = pop + children
        r = rank(merged)
        merged.sort(key=lambda g: (r[g][0], -r[g][1]))
        pop = merged[:population]
    return {g: v for g, v in seen.items() if v is not None}


def evolve_pruning(workload: str, accelerator: str, pattern: str, *, population: int = 12, generations: int = 5,
                   finetune_epochs: int = 1, seed: int = 0, evaluator: str | None = None) -> EvolveResult:
    """NSGA-II over per-layer sparsities of ``workload`` pruned with ``pattern`` on ``accelerator``."""
    from cosim.hw.loader import load_accelerator
    from cosim.prune import allocation as al
    from cosim.prune.patterns import parse_pattern
    from cosim.prune.schedules import Schedule
    from cosim.prune.workflow import load_graph, prune_workload
    from cosim.cache import EvalCache
    from cosim.search.accuracy import NETWORK_PROXY
    from cosim.search.hw_allocation import per_layer_texts
    from cosim.simulate import simulate
    from cosim.sparsity_spec import apply_sparsity

    pat = parse_pattern(pattern)
    require(pat.kind in ("unstructured", "nm", "block", "channel"),
            f"--pattern {pat.label}: evolve searches per-layer levels of unstructured, N:M, block or channel patterns")
    spec = load_accelerator(accelerator)
    from cosim.prune import digits

    embedded = workload.lower() in digits.ARCHS
    graph = digits.to_layer_graph(digits.build(digits.arch_of(workload))) if embedded else load_graph(workload)
    layers = tuple(al.allocatable_layers(graph, {l.name: None for l in graph.compute_layers()}, pat))
    require(bool(layers), f"workload '{graph.name}': no layer can take pattern '{pat.label}'")
    levels = al.levels_for(pat)
    user = None
    if evaluator and not embedded:
        from cosim.search.evaluator import load_evaluator

        user = load_evaluator(evaluator)
    kind = ("measured" if embedded else f"evaluator:{evaluator}" if user else f"proxy:{NETWORK_PROXY}")
    sched = Schedule("one-shot", 1, finetune_epochs)
    sim_cache = EvalCache()

    def evaluate(g: tuple[int, ...]) -> tuple[float, float, float]:
        ls = {n: levels[i] for n, i in zip(layers, g)}
        if embedded:
            run = prune_workload(workload.lower(), pat, schedule=sched, layer_sparsity=ls, seed=seed)
            pruned, acc = run.graph, float(run.accuracy_after)
        elif user is not None:
            run = prune_workload(graph, pat, layer_sparsity=ls, evaluate=user, seed=seed)
            pruned, acc = run.graph, float(run.accuracy_after)
        else:  # shapes only: the pattern's statistics per layer, the network-aware proxy
            pruned = apply_sparsity(graph, per_layer_texts(pat.label, ls))
            acc = layered_network_proxy(graph, pat, ls, seed)
        total = simulate(pruned, spec, cache=sim_cache).total
        return acc, float(total.latency_s), float(total.energy_pj) * 1e-12

    seen = nsga2(len(layers), len(levels), evaluate, population=population, generations=generations, seed=seed,
                 initial=[tuple([0] * len(layers)), tuple([len(levels) - 1] * len(layers))])
    genomes = list(seen)
    f = np.array([seen[g] for g in genomes])
    on = nondominated_ranks(f * np.array([-1.0, 1.0, 1.0])) == 0
    front = tuple(sorted((Individual(g, {n: levels[i] for n, i in zip(layers, g)}, *seen[g])
                          for g, keep in zip(genomes, on) if keep), key=lambda ind: ind.latency_s))
    return EvolveResult(workload, accelerator, pat.label, kind, layers, tuple(levels), front, len(seen), generations)


def layered_network_proxy(graph, pat, layer_sparsity: dict[str, float], seed: int = 0) -> float:
    """accuracy_proxy_network_aware (cosim/search/accuracy.py) with every layer at its own level:
    the geometric mean over weight layers of each one's kept energy (dense layers count 1)."""
    from cosim.search.accuracy import _shape_kept_energy

    logs = []
    for l in graph.layers():
        if not l.has_weights:
            continue
        s = layer_sparsity.get(l.name, 0.0)
        if s <= 0:
            logs.append(0.0)
            continue
        density = pat.n / pat.m if pat.kind == "nm" else 1.0 - s
        e = _shape_kept_energy(l.gemm_n, l.gemm_k, pat.kind, round(density, 6), pat.n, pat.m, pat.block_h,
                               pat.block_w, seed)
        logs.append(np.log(max(e, 1e-300)))
    return float(np.exp(np.mean(logs))) if logs else 1.0
