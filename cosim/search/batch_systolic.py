"""Systolic candidates in bulk: one numpy evaluation of every compute layer × every design.

The systolic datapath keeps its formulas in ``cosim.datapaths.systolic.model`` (``systolic_model``),
shared by its scalar ``simulate_layer`` and its ``evaluate_batch`` over layers × designs; sparse runs
add the columns and MAC accounting of ``cosim.datapaths.systolic.sparse_batch`` (gating, N:M and lane
skipping, compressed operands: the same plans ``simulate_layer`` makes). This module feeds them the
distinct compute layers of a workload and a chunk of designs, prices the action counts with each
design's energy table (cosim.hw.energy_tables.table_for) as a designs × actions matrix, and sums
layers with their multiplicities. Vector and fused layers (few, cheap) go through the simulator's
per-layer functions, memoized on the spec fields they read, and each compute layer passes the
datapath's own tile check (``check_tiles``). cosim/search/simulation.py checks every call against
``cosim.simulate``.

Dense layers on arrays without sparsity features take ``evaluate_batch`` alone (no plans to make).
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
        batch = importlib.import_module("cosim.datapaths.systolic.model")
        scalar = importlib.import_module("cosim.datapaths.systolic.layer")
        mapping = importlib.import_module("cosim.datapaths.systolic.tiling")
        sparse = importlib.import_module("cosim.datapaths.systolic.sparse_batch")
    except ModuleNotFoundError:
        return None
    needed = (hasattr(batch, "evaluate_batch") and hasattr(batch, "design_arrays")
              and hasattr(mapping, "layer_arrays") and hasattr(scalar, "check_tiles")
              and hasattr(sparse, "sparse_columns") and hasattr(sparse, "evaluate_columns"))
    return (batch, scalar, mapping, sparse) if needed else None


def available() -> bool:
    return _modules() is not None


def applicable(d, specs) -> bool:
    """Every systolic run, dense or sparse, has a batch form."""
    return all(getattr(s, "kind", None) == "systolic" for s in specs)


def dense_run(d, specs) -> bool:
    """Dense weights and activations on arrays without sparsity features: the dense formulas alone."""
    from cosim.datapaths.systolic.sparse import sparse_array

    return (all(l.weight_sparsity.is_dense and l.weight_sparsity.mask is None and l.act_density == 1.0
                for l in d.layers) and not any(sparse_array(s) for s in specs))


def reads_layer_masks(specs) -> bool:
    """Do these arrays read weight masks (not only densities)? Then a statistical layer's stand-in mask,
    drawn per layer name (cosim.datapaths.systolic.sparse), makes same-shaped layers differ."""
    from cosim.datapaths.systolic.sparse import reads_masks

    return any(getattr(s, "kind", None) == "systolic" and reads_masks(s) for s in specs)


@functools.lru_cache(maxsize=32)
def _layer_columns(d) -> tuple[list[int], list[int], dict[str, np.ndarray]]:
    layers = d.layers
    comp = [i for i, l in enumerate(layers) if l.is_compute]
    vec = [i for i, l in enumerate(layers) if not l.is_compute]
    mapping = _modules()[2]
    cols = mapping.layer_arrays([layers[i] for i in comp]) if comp else {}
    return comp, vec, cols


def evaluate(d, specs: list[Any]) -> list[dict[str, float] | tuple[str, str]]:
    """Metrics of a network (cosim.search.simulation.DistinctLayers ``d``) on each systolic spec."""
    from cosim.energy import leakage_energy_pj
    from cosim.search.simulation import sim_metrics

    batch, _, _, sparse = _modules()
    comp, vec, cols = _layer_columns(d)
    memos = _memos(d)
    dense = dense_run(d, specs)
    comp_layers = [d.layers[i] for i in comp]
    # The datapath checks a layer's tiles, then plans its sparse run: the first refusal over the layers wins.
    refused: list[tuple[int, str] | None] = [memos.tiles(s) for s in specs]  # (compute layer index, reason)
    bad = [k for k, r in enumerate(refused) if r is not None]
    if bad and not dense:
        plans = sparse.refusals(comp_layers, [specs[k] for k in bad], cols)
        for k, p in zip(bad, plans):
            refused[k] = p if p is not None and p[0] < refused[k][0] else refused[k]
    out: list[Any] = [None if r is None else ("infeasible", f"simulate: {r[1]}") for r in refused]
    ok = [k for k, r in enumerate(refused) if r is None]
    if not ok:
        return out
    ok_specs = [specs[k] for k in ok]
    n = len(ok_specs)
    mult = np.asarray(d.counts, dtype=np.float64)
    prices = [_PRICES(s) for s in ok_specs]
    cycles, compute, stall, macs, eff, dram, energy = (np.zeros(n) for _ in range(7))
    missing: list[str | None] = [None] * n
    if comp:
        designs = batch.design_arrays(ok_specs)
        if dense:
            res = dict(batch.evaluate_batch(cols, designs))
            res["effectual_macs"] = res["mac_actions"] = res["macs"]
            res["mac_gated_actions"] = np.zeros(1)
            errors: tuple = ()
        else:
            sc = sparse.sparse_columns(comp_layers, ok_specs, cols, designs)
            res, errors = sparse.evaluate_columns(cols, designs, sc), sc.errors
        w = mult[comp][:, None]
        cycles += (res["total_cycles"] * w).sum(axis=0)
        compute += (res["compute_cycles"] * w).sum(axis=0)
        stall += (res["stall_cycles"] * w).sum(axis=0)
        macs += (res["macs"] * w).sum(axis=0)
        eff += (res["effectual_macs"] * w).sum(axis=0)
        dram += ((_whole_bytes(res["dram_read_bytes"]) + _whole_bytes(res["dram_write_bytes"])) * w).sum(axis=0)
        counts = _action_counts(res, w)
        energy += _compute_energy_pj(counts, prices)
        missing = _unpriced(counts, ok_specs, prices)
        for j, e in enumerate(errors):
            if e is not None:
                out[ok[j]] = ("infeasible", f"simulate: {e[1]}")
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
        if out[k] is not None:
            continue
        if missing[j] is not None:
            out[k] = ("infeasible", f"simulate: energy table has no entry for action '{missing[j]}'; "
                                    "add it under energy.overrides_pj")
            continue
        out[k] = sim_metrics(latency[j], energy[j], cycles[j], stall[j], macs[j], eff[j], dram[j], ok_specs[j],
                             d.batch)
    return out


class _GraphMemos:
    """Per-graph scalar work of a design: the datapath's tile check of every compute layer, and the
    vector layers' totals (memoized on the spec fields they read, cosim/search/memo.py)."""

    def __init__(self, d):
        from cosim.fusion import fused_layer_perf
        from cosim.search.memo import SpecMemo

        scalar = _modules()[1]
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

        # The tile check reads a layer's precisions (and its name, for the message): the first layer of
        # each precision stands for the later ones (the guard of cosim/search/simulation.py would see
        # a check that reads more).
        firsts: dict[tuple, tuple[int, Any]] = {}
        for i, layer in enumerate(comp):
            w_bits = layer.weight_bits if layer.has_weights else layer.act_bits
            firsts.setdefault((layer.act_bits, w_bits, layer.out_bits), (i, layer))

        def tiles(spec):
            """(index among the compute layers, reason) of the first layer whose tiles do not fit, or None."""
            for i, layer in firsts.values():
                try:
                    scalar.check_tiles(layer, spec)
                except CosimError as e:
                    return (i, str(e))
            return None

        # The tile check reads most of the spec (sizes, dataflow, timing): it hits when a sweep varies
        # other fields fastest (clock, bandwidth in a grid), and steps aside when it does not.
        self.tiles = SpecMemo(tiles, min_hit_rate=0.5)


@functools.lru_cache(maxsize=32)
def _memos(d) -> _GraphMemos:
    return _GraphMemos(d)


def _whole_bytes(x) -> np.ndarray:
    """Bytes as the datapath reports them per layer: rounded up to whole bytes (systolic._bytes)."""
    return np.ceil(np.asarray(x, dtype=np.float64) - 1e-9)


def _price(actions: dict[str, float], table: dict[str, float]) -> float:
    """Σ count × pJ through cosim.energy (its error names an action the table lacks)."""
    from cosim.energy import dynamic_energy_pj

    return float(sum(dynamic_energy_pj(actions, table).values()))


def _price_table(spec) -> tuple[dict[str, float], np.ndarray]:
    """(the spec's energy table, prices of the compute actions in _action_names order; NaN where the
    table lacks one: an error only if the action occurs, as in cosim.energy.dynamic_energy_pj)."""
    from cosim.hw.energy_tables import table_for

    table = table_for(spec)
    return table, np.array([table.get(a, np.nan) for a in _action_names(spec)], dtype=np.float64)


def _make_price_memo():
    from cosim.search.memo import SpecMemo

    return SpecMemo(_price_table)


def _action_names(spec) -> list[str]:
    p = f"int{spec.pe_array.mac_bits}"
    return ([f"mac:{p}", f"mac_gated:{p}", "register:access", "dram:read_bit", "dram:write_bit"]
            + [f"sram_{b}:{rw}_byte" for b in BUFFERS for rw in ("read", "write")])


def _action_counts(res: dict, w: np.ndarray) -> np.ndarray:
    """Σ over layers (× multiplicity) of each compute action, actions × designs, in _action_names
    order: the counts systolic.simulate_layer puts in a LayerPerf (bytes rounded up per layer)."""
    counts = [res["mac_actions"], res["mac_gated_actions"], res["register_accesses"],
              8.0 * _whole_bytes(res["dram_read_bytes"]), 8.0 * _whole_bytes(res["dram_write_bytes"])]
    for b in BUFFERS:
        counts += [_whole_bytes(res[f"sram_{b}_read_bytes"]), _whole_bytes(res[f"sram_{b}_write_bytes"])]
    shape = np.broadcast_shapes(w.shape, np.shape(res["total_cycles"]))
    return np.stack([(np.broadcast_to(np.asarray(c, dtype=np.float64), shape) * w).sum(axis=0) for c in counts])


def _compute_energy_pj(counts: np.ndarray, tables: list) -> np.ndarray:
    """Σ of action counts (actions × designs, _action_counts) × each design's prices (pJ): the
    datapath's action names mac:int<bits>, mac_gated:int<bits>, register:access, dram:*_bit,
    sram_<buffer>:*_byte. An action that does not occur costs nothing, priced or not."""
    prices = np.stack([t[1] for t in tables], axis=1)  # actions × designs
    return np.where(counts == 0, 0.0, counts * np.nan_to_num(prices)).sum(axis=0)


def _unpriced(counts: np.ndarray, specs: list, tables: list) -> list[str | None]:
    """Per design, the first compute action that occurs but that its energy table does not price."""
    prices = np.stack([t[1] for t in tables], axis=1)
    bad = np.isnan(prices) & (counts != 0)
    out: list[str | None] = [None] * len(specs)
    for j in np.flatnonzero(bad.any(axis=0)):
        out[j] = _action_names(specs[j])[int(np.flatnonzero(bad[:, j])[0])]
    return out


_PRICES = _make_price_memo()
