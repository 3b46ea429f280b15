"""Simulating one pruned workload on many designs, saving the work that repeats — checked against the
full simulation.

Three ways to a design's numbers, fastest first:

* batch: systolic designs in bulk, dense or sparse, through the datapath's numpy formulas
  (cosim/search/batch_systolic.py);
* distinct layers: each distinct layer of the network simulated once per design and counted with its
  multiplicity (BERT-base's 176 layers are 18 distinct ones), through the simulator's own per-layer
  pieces (``datapath_module(spec).simulate_layer``, ``cosim.fusion``, ``cosim.simulate.layer_result``);
* full: ``cosim.simulate(graph, spec)`` — always for datapaths that model the network as a whole
  (``simulate_graph``: FPGA dataflow pipelines).

Guard: the first design of the first call per workload and kind, and of every GUARD_EVERY-th call
after it, is also simulated in full (for a chunk of systolic designs that is one full simulation per
thousands of batch ones; a full simulation costs as much as ten distinct-layer ones for BERT, so it is
not repeated for every small chunk). If the shortcut's numbers differ
(cycles and MACs exactly, energy, latency and traffic beyond 1e-9 relative, or another status), the
shortcuts are switched off for the process with a warning, and the full simulation answers: a sweep's
numbers are always the simulator's, whatever either side changes later.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from typing import Any

from cosim.errors import CosimError
from cosim.graph import Layer

Result = dict[str, float] | tuple[str, str]  # metrics, or (status, reason)
_SHORTCUTS_OFF: list[str] = []  # why the shortcuts were switched off in this process (empty: on)
GUARD_EVERY = 8
_CALLS: dict[tuple, int] = {}


@dataclass(frozen=True)
class DistinctLayers:
    """The distinct layers of a network, how often each occurs, and which are fused into a producer."""

    name: str
    layers: tuple[Layer, ...]
    counts: tuple[int, ...]
    owners: tuple[str | None, ...]  # cosim.fusion owner of a fused layer (it runs in that layer's output path)
    batch: int


@functools.lru_cache(maxsize=64)
def distinct_layers(vkey: tuple, named_masks: bool = False) -> DistinctLayers:
    """Layers equal but for their name (and not differing in being fused) are counted as one.

    ``named_masks``: the datapath reads weight masks and draws a statistical layer's stand-in mask from
    its name (the systolic one, cosim.datapaths.systolic.sparse), so such layers keep their name apart."""
    from cosim.fusion import fused_owners
    from cosim.search.workload_variants import workload_variant

    graph = workload_variant(*vkey).graph
    owners = fused_owners(graph)
    seen: dict[Any, int] = {}
    layers: list[Layer] = []
    counts: list[int] = []
    owner_of: list[str | None] = []
    for layer in graph.layers():
        mask = layer.weight_sparsity.mask
        statistical = mask is None and not layer.weight_sparsity.is_dense
        key = (layer if named_masks and statistical else layer.replace(name="_"),
               None if mask is None else (mask.shape, hash(mask.tobytes())), layer.name in owners)
        if key in seen:
            counts[seen[key]] += 1
            continue
        seen[key] = len(layers)
        layers.append(layer)
        counts.append(1)
        owner_of.append(owners.get(layer.name))
    return DistinctLayers(graph.name, tuple(layers), tuple(counts), tuple(owner_of), layers[0].batch)


def sim_metrics(latency_s, energy_pj, cycles, stall, macs, eff, dram, spec, batch, throughput=None) -> dict:
    """The simulation columns of a row, from network totals."""
    peak = getattr(spec, "peak_macs_per_cycle", 0)
    energy_j = energy_pj * 1e-12
    return {"latency_s": float(latency_s), "energy_j": energy_j, "edp_j_s": energy_j * latency_s,
            "total_cycles": float(cycles), "stall_cycles": float(stall), "macs": float(macs),
            "effectual_macs": float(eff), "dram_bytes": float(dram),
            "utilization": float(eff / (peak * cycles)) if peak and cycles else float("nan"),
            "throughput_inferences_per_s": float(throughput if throughput is not None
                                                 else (batch / latency_s if latency_s else math.nan))}


def _failure(e: Exception) -> tuple[str, str]:
    if isinstance(e, CosimError):
        return ("infeasible", f"simulate: {e}")
    return ("error", f"simulate: {type(e).__name__}: {e}")


def simulate_full(vkey: tuple, spec: Any) -> Result:
    """``cosim.simulate`` of the whole pruned network."""
    from cosim.search.workload_variants import workload_variant
    from cosim.simulate import simulate

    try:
        report = simulate(workload_variant(*vkey).graph, spec)
    except Exception as e:  # noqa: BLE001 — recorded per point, the sweep goes on
        return _failure(e)
    t = report.total
    return sim_metrics(t.latency_s, t.energy_pj, t.total_cycles, t.stall_cycles, t.macs, t.effectual_macs,
                       t.dram_read_bytes + t.dram_write_bytes, spec, report.batch, t.throughput_inferences_per_s)


def simulate_distinct(d: DistinctLayers, spec: Any) -> Result:
    """Each distinct layer once, as ``cosim.simulate`` runs it, totals weighted by multiplicity."""
    from cosim.fusion import fused_layer_perf
    from cosim.simulate import datapath_module, layer_result

    try:
        mod = datapath_module(spec)
        lat = energy = cycles = stall = macs = eff = dram = 0.0
        for layer, n, owner in zip(d.layers, d.counts, d.owners):
            perf = fused_layer_perf(layer, owner) if owner else mod.simulate_layer(layer, spec)
            r = layer_result(layer, perf, spec)
            cycles += n * r.total_cycles
            stall += n * r.stall_cycles
            energy += n * r.energy_pj_total
            macs += n * r.macs
            eff += n * r.effectual_macs
            dram += n * (r.dram_read_bytes + r.dram_write_bytes)
        lat = cycles * spec.cycle_s
    except Exception as e:  # noqa: BLE001 — recorded per point, the sweep goes on
        return _failure(e)
    return sim_metrics(lat, energy, cycles, stall, macs, eff, dram, spec, d.batch)


def simulate_many(vkey: tuple, specs: list[Any]) -> list[Result]:
    """Results of one pruned workload on each spec (all of one candidate, so of one kind)."""
    if not specs:
        return []
    from cosim.search import batch_systolic
    from cosim.simulate import datapath_module

    try:
        whole = hasattr(datapath_module(specs[0]), "simulate_graph")
    except CosimError as e:
        return [_failure(e)] * len(specs)
    if whole or _SHORTCUTS_OFF:
        return [simulate_full(vkey, s) for s in specs]
    systolic = specs[0].kind == "systolic" and batch_systolic.available()
    d = distinct_layers(vkey, systolic and batch_systolic.reads_layer_masks(specs))
    if systolic and batch_systolic.applicable(d, specs):
        rows = batch_systolic.evaluate(d, specs)
    else:
        rows = [simulate_distinct(d, s) for s in specs]
    calls = _CALLS[(vkey, specs[0].kind)] = _CALLS.get((vkey, specs[0].kind), -1) + 1
    if calls % GUARD_EVERY:
        return rows
    ref = simulate_full(vkey, specs[0])
    if not same_result(rows[0], ref):
        _SHORTCUTS_OFF.append(f"{d.name} on {specs[0].name}: shortcut {rows[0]} != full {ref}")
        print(f"warning: cosim.search's shortcut evaluation disagrees with cosim.simulate on {d.name} "
              f"({specs[0].name}); simulating every point in full from now on", file=sys.stderr)
        return [ref] + [simulate_full(vkey, s) for s in specs[1:]]
    return rows


def same_result(a: Result, b: Result) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return a == b
    exact = ("total_cycles", "stall_cycles", "macs", "effectual_macs")
    close = ("latency_s", "energy_j", "dram_bytes")
    return (all(a[k] == b[k] for k in exact)
            and all(a[k] == b[k] or math.isclose(a[k], b[k], rel_tol=1e-9) for k in close))
