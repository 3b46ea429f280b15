"""Systolic candidates in bulk: one numpy evaluation of every compute layer × every design.

The systolic datapath keeps its formulas in ``cosim.datapaths.systolic_batch`` (``systolic_model``),
shared by its scalar ``simulate_layer`` and its ``evaluate_batch`` over layers × designs. This module
feeds ``evaluate_batch`` the distinct compute layers of a workload and a chunk of designs, prices the
action counts with each design's energy table (cosim.hw.energy_tables.table_for) as a designs × actions
matrix, and sums layers with their multiplicities. Vector and fused layers (few, cheap) go through the
simulator's per-layer functions, memoized on the spec fields they read, and each compute layer passes
the datapath's own tile check. cosim/search/simulation.py checks every call against ``cosim.simulate``.

The batch path is used only where the scalar model runs its dense formulas alone: dense layers on
arrays without sparsity features. Sparse runs take the per-layer path (cosim/search/simulation.py).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import numpy as np

from cosim.errors import CosimError

BUFFERS = ("ifmap", "filter", "ofmap")


@functools.lru_cache(maxsize=1)
def _modules():
    try:
        batch = importlib.import_module("cosim.datapaths.systolic_batch")
        scalar = importlib.import_module("cosim.datapaths.systolic")
        mapping = importlib.import_module("cosim.mapping")
    except ModuleNotFoundError:
        return None
    needed = (hasattr(batch, "evaluate_batch") and hasattr(batch, "design_arrays")
              and hasattr(mapping, "layer_arrays") and hasattr(scalar, "_check_tiles"))
    return (batch, scalar, mapping) if needed else None


def available() -> bool:
    return _modules() is not None


def applicable(d, specs) -> bool:
    """Batch only where the scalar model runs its dense formulas alone: dense weights and activations on
    arrays without sparsity features (sparse runs add per-layer plans of the scalar model)."""
    from cosim.hw.spec import SparseFeatures

    dense_layers = all(l.weight_sparsity.is_dense and l.act_density == 1.0 for l in d.layers)
    dense_arrays = all(getattr(s, "sparsity", SparseFeatures()) == SparseFeatures()
                       and not getattr(s, "dual_side_sparse", False) for s in specs)
    return dense_layers and dense_arrays


@functools.lru_cache(maxsize=32)
def _layer_columns(d) -> tuple[list[int], list[int], dict[str, np.ndarray]]:
    layers = d.layers
    comp = [i for i, l in enumerate(layers) if l.is_compute]
    vec = [i for i, l in enumerate(layers) if not l.is_compute]
    _, _, mapping = _modules()
    cols = mapping.layer_arrays([layers[i] for i in comp]) if comp else {}
    return comp, vec, cols


def evaluate(d, specs: list[Any]) -> list[dict[str, float] | tuple[str, str]]:
    """Metrics of a network (cosim.search.simulation.DistinctLayers ``d``) on each systolic spec."""
    from cosim.energy import leakage_energy_pj
    from cosim.search.simulation import sim_metrics

    batch, _, _ = _modules()
    comp, vec, cols = _layer_columns(d)
    memos = _memos(d)
    out: list[Any] = [None] * len(specs)
    ok = []
    for k, spec in enumerate(specs):
        reason = memos.tiles(spec)
        if reason is None:
            ok.append(k)
        else:
            out[k] = ("infeasible", f"simulate: {reason}")
    if not ok:
        return out
    ok_specs = [specs[k] for k in ok]
    n = len(ok_specs)
    mult = np.asarray(d.counts, dtype=np.float64)
    prices = [_PRICES(s) for s in ok_specs]
    cycles, compute, stall, macs, dram, energy = (np.zeros(n) for _ in range(6))
    if comp:
        res = batch.evaluate_batch(cols, batch.design_arrays(ok_specs))
        w = mult[comp][:, None]
        cycles += (res["total_cycles"] * w).sum(axis=0)
        compute += (res["compute_cycles"] * w).sum(axis=0)
        stall += (res["stall_cycles"] * w).sum(axis=0)
        macs += (res["macs"] * w).sum(axis=0)
        dram += ((res["dram_read_bytes"] + res["dram_write_bytes"]) * w).sum(axis=0)
        energy += _compute_energy_pj(res, w, ok_specs, prices)
    if vec:
        for j, spec in enumerate(ok_specs):
            v = memos.vector(spec)
            cycles[j] += v["total_cycles"]
            compute[j] += v["compute_cycles"]
            stall[j] += v["stall_cycles"]
            dram[j] += v["dram_bytes"]
            energy[j] += _price(v["actions"], prices[j][0])
    latency = cycles * np.array([s.cycle_s for s in ok_specs])
    energy += leakage_energy_pj(np.array([s.energy.leakage_mw for s in ok_specs]), latency)
    for j, k in enumerate(ok):
        out[k] = sim_metrics(latency[j], energy[j], cycles[j], stall[j], macs[j], macs[j], dram[j], ok_specs[j],
                             d.batch)
    return out


class _GraphMemos:
    """Per-graph scalar work of a design: the datapath's tile check of every compute layer, and the
    vector layers' totals (memoized on the spec fields they read, cosim/search/memo.py)."""

    def __init__(self, d):
        from cosim.fusion import fused_layer_perf
        from cosim.search.memo import SpecMemo

        _, scalar, _ = _modules()
        comp = [l for l in d.layers if l.is_compute]
        vec = [(l, n, o) for l, n, o in zip(d.layers, d.counts, d.owners) if not l.is_compute]

        def vector(spec):
            from cosim.simulate import simulate_layer

            tot = {"total_cycles": 0.0, "compute_cycles": 0.0, "stall_cycles": 0.0, "dram_bytes": 0.0}
            actions: dict[str, float] = {}
            for layer, n, owner in vec:
                p = fused_layer_perf(layer, owner) if owner else simulate_layer(layer, spec)
                tot["total_cycles"] += n * p.total_cycles
                tot["compute_cycles"] += n * p.compute_cycles
                tot["stall_cycles"] += n * p.stall_cycles
                tot["dram_bytes"] += n * (p.dram_read_bytes + p.dram_write_bytes)
                for a, c in p.actions.items():
                    actions[a] = actions.get(a, 0.0) + n * c
            tot["actions"] = actions
            return tot

        self.vector = SpecMemo(vector)

        def tiles(spec):
            try:
                for layer in comp:
                    scalar._check_tiles(layer, spec)
            except CosimError as e:
                return str(e)
            return None

        # The tile check reads most of the spec (sizes, dataflow, timing): it hits when a sweep varies
        # other fields fastest (clock, bandwidth in a grid), and steps aside when it does not.
        self.tiles = SpecMemo(tiles, min_hit_rate=0.5)


@functools.lru_cache(maxsize=32)
def _memos(d) -> _GraphMemos:
    return _GraphMemos(d)


def _price(actions: dict[str, float], table: dict[str, float]) -> float:
    """Σ count × pJ through cosim.energy (its error names an action the table lacks)."""
    from cosim.energy import dynamic_energy_pj

    return float(sum(dynamic_energy_pj(actions, table).values()))


def _price_table(spec) -> tuple[dict[str, float], np.ndarray]:
    """(the spec's energy table, prices of the compute actions in _action_names order)."""
    from cosim.hw.energy_tables import table_for

    table = table_for(spec)
    names = _action_names(spec)
    missing = [a for a in names if a not in table]
    if missing:
        raise CosimError(f"energy table has no entry for action '{missing[0]}'; add it under energy.overrides_pj")
    return table, np.array([table[a] for a in names])


def _make_price_memo():
    from cosim.search.memo import SpecMemo

    return SpecMemo(_price_table)


def _action_names(spec) -> list[str]:
    return ([f"mac:int{spec.pe_array.mac_bits}", "register:access", "dram:read_bit", "dram:write_bit"]
            + [f"sram_{b}:{rw}_byte" for b in BUFFERS for rw in ("read", "write")])


def _compute_energy_pj(res: dict, w: np.ndarray, specs: list, tables: list) -> np.ndarray:
    """Σ over layers (× multiplicity) of action counts × per-design prices, in the datapath's action
    names (mac:int<bits>, register:access, dram:*_bit, sram_<buffer>:*_byte)."""
    counts = [res["macs"], res["register_accesses"], 8.0 * res["dram_read_bytes"], 8.0 * res["dram_write_bytes"]]
    for b in BUFFERS:
        counts += [res[f"sram_{b}_read_bytes"], res[f"sram_{b}_write_bytes"]]
    prices = np.stack([t[1] for t in tables])  # designs × actions
    total = np.zeros(len(specs))
    for a, c in enumerate(counts):
        total += (np.asarray(c, dtype=np.float64) * w).sum(axis=0) * prices[:, a]
    return total


_PRICES = _make_price_memo()
