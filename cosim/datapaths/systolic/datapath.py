"""Systolic-array datapath: ``evaluate(walk, specs, cache) -> BatchPerf``, the one entry point.

A network's sites (cosim/walk.py) × SystolicSpec designs in one call. Compute layers go through the
one model, cosim/datapaths/systolic/model.py's ``systolic_model``, over layers × designs arrays: a
layer's ``groups`` GEMMs are folded onto the R × C array by the dataflow (cosim/datapaths/systolic/
tiling.py), each fold costs fill + stream + drain cycles, operands are tiled to the SRAM halves with
double buffering so DRAM transfers overlap compute, and a stall is charged where DRAM bandwidth or SRAM
ports fall short. Where the spec has sparse features (``sparsity``, ``dual_side_sparse``) or a layer
sparse weights, cosim/datapaths/systolic/sparse.py plans the run (gating, N:M or lane skipping,
compressed operands) as sparse columns of the same model. Vector layers run on the vector unit
(vector_unit.py); fused layers (cosim/fusion.py) cost their element operations only.

SRAM ports and banks: a buffer delivers at most banks × ports × bank_width_bytes per cycle
(SramSpec.peak_bytes_per_cycle; width 0 = ideal). Requests are interleaved across banks, so conflicts
show up as that aggregate limit: when the array-side bytes of a buffer over the layer exceed what its
ports deliver in the compute cycles, the difference is stall (``details.sram_stall_cycles``).
SCALE-Sim models bank conflicts only with custom layouts, so its presets leave the width at 0.

Matmul layers have no weights: their second operand (K × N per head, an activation) takes the filter
operand's path — read from DRAM into the filter buffer and streamed like weights — at the activation
precision.

A design cannot run a network when a buffer half cannot hold one array edge of a layer's operands
(:func:`check_tiles`) or when an N:M array refuses a layer's pattern (``unsupported_pattern: error``):
``feasible`` is False and ``reasons`` names the first such layer, as a one-design simulation raises it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from cosim.cache import DEFAULT, EvalCache
from cosim.datapaths.systolic import tiling as mp
from cosim.datapaths.systolic.details import SparseRunDetails, SystolicDetails, VectorUnitDetails
from cosim.datapaths.systolic.model import PSUM_BYTES, design_arrays, evaluate_batch
from cosim.datapaths.systolic.mapper import order_name
from cosim.datapaths.systolic.sparse import reads_masks, sparse_array
from cosim.datapaths.systolic.sparse_batch import (evaluate_columns, feature_signature, lane_profiles,
                                                   sparse_columns, weights_plan)
from cosim.datapaths.systolic.vector_unit import vector_unit
from cosim.errors import CosimError, require
from cosim.graph import Layer
from cosim.hw.designs import Designs
from cosim.hw.spec import SystolicSpec, cycle_s
from cosim.perf import BOUND_CODE, SOURCE_CODE, BatchPerf, Details, FusedDetails
from cosim.walk import Walk, layer_key

BUFFERS = ("ifmap", "filter", "ofmap")
LAYER_COLUMNS = ("G", "M", "N", "K", "ifmap_unique", "ifmap_halo", "ifmap_valid", "ch_per_group", "act_bits",
                 "weight_bits", "out_bits")


def site_policy(designs: Designs) -> tuple[bool, bool]:
    """(share sites between equal layers, keep statistical layers apart by name): arrays that read
    weight masks draw a statistical layer's stand-in mask from its name."""
    return True, any(reads_masks(spec) for spec, _ in feature_groups(designs))


def feature_groups(d: Designs) -> list[tuple[SystolicSpec, np.ndarray]]:
    """(a spec of the group, its design indices) per distinct set of sparse features."""
    firsts, inverse = d.group(SystolicSpec.SPARSE_FIELDS, feature_signature)
    return [(d.spec(int(j)), np.flatnonzero(inverse == g)) for g, j in enumerate(firsts)]


# ---- feasibility -------------------------------------------------------------------------------------
def check_tiles(layer: Layer, spec: SystolicSpec) -> None:
    """Buffers must hold what one fold needs at the layer's precision (the spec checks words only)."""
    pe, sram = spec.pe_array, spec.sram
    half = 2 if sram.double_buffered else 1
    w_bits = layer.weight_bits if layer.has_weights else layer.act_bits
    for name, buf, elems, bits in (("ifmap", sram.ifmap, pe.rows, layer.act_bits),
                                   ("filter", sram.filter, pe.cols, w_bits)):
        have = buf.size_bytes * 8 // (half * bits)
        require(have >= elems, f"sram.{name}.size_kib holds {have} {bits}-bit elements per buffer half, fewer "
                               f"than one {elems}-element edge of the {pe.rows}x{pe.cols} array for layer "
                               f"'{layer.name}'; enlarge it")
    if spec.timing == "physical":
        if pe.dataflow == "os":  # a fold drains R × C finished outputs at once
            need = math.ceil(pe.rows * pe.cols * layer.out_bits / 8)
            what = f"{pe.rows}x{pe.cols} outputs an os fold drains"
        else:  # one stream step leaves C partial sums at 32 bits
            need, what = pe.cols * PSUM_BYTES, f"{pe.cols} 32-bit partial sums of one stream step"
        require(sram.ofmap.size_bytes // half >= need,
                f"sram.ofmap.size_kib: a buffer half of {sram.ofmap.size_bytes // half} bytes cannot take the "
                f"{what} ({need} bytes) for layer '{layer.name}'; enlarge it")


def tile_refusals(layers: Sequence[Layer], d: Designs, D: dict) -> list[tuple[int, str] | None]:
    """Per design, (index among ``layers``, message) of the first layer whose tiles do not fit, or None.
    The check reads only a layer's precisions, so the first layer of each precision stands for the rest."""
    firsts: dict[tuple, int] = {}
    for i, layer in enumerate(layers):
        w_bits = layer.weight_bits if layer.has_weights else layer.act_bits
        firsts.setdefault((layer.act_bits, w_bits, layer.out_bits), i)
    half = np.where(D["double_buffered"] == 1, 2, 1)
    rows, cols = D["rows"], D["cols"]
    out: list[tuple[int, str] | None] = [None] * len(d)
    failing = np.zeros(len(d), dtype=bool)
    for (a, w, o), i in sorted(firsts.items(), key=lambda kv: kv[1]):
        need_o = np.where(D["dataflow"] == 0, -(-(rows * cols * o) // 8), cols * PSUM_BYTES)
        fail = ((D["ifmap_bytes"] * 8 // (half * a) < rows) | (D["filter_bytes"] * 8 // (half * w) < cols)
                | ((D["timing"] == 0) & (D["ofmap_bytes"] // half < need_o)))
        for j in np.flatnonzero(fail & ~failing):
            try:
                check_tiles(layers[i], d.spec(int(j)))
            except CosimError as e:
                out[j] = (i, str(e))
        failing |= fail
    return out


# ---- layer columns ---------------------------------------------------------------------------------
def _layer_row(layer: Layer) -> tuple:
    p = mp.gemm_problem(layer)
    w_bits = layer.weight_bits if layer.has_weights else layer.act_bits
    return (p, (p.groups, p.m, p.n, p.k, p.ifmap_unique, p.ifmap_halo, p.ifmap_valid, p.ch_per_group,
                layer.act_bits, w_bits, layer.out_bits))


def layer_columns(layers: Sequence[Layer], cache: EvalCache) -> dict[str, np.ndarray]:
    """The GEMM-view columns of compute ``layers`` (tiling.layer_arrays), each layer's row cached."""
    rows = [cache.get("systolic_layer", layer_key(l), lambda l=l: _layer_row(l)) for l in layers]
    values = np.array([r[1] for r in rows], dtype=np.int64).reshape(len(rows), len(LAYER_COLUMNS))
    out = {k: values[:, c] for c, k in enumerate(LAYER_COLUMNS)}
    out["problems"] = np.empty(len(rows), dtype=object)
    out["problems"][:] = [r[0] for r in rows]
    return out


def _whole_bytes(x) -> np.ndarray:
    """Bytes rounded up to whole bytes, per layer (a precision that is not whole bytes gives fractions)."""
    return np.ceil(np.asarray(x, dtype=np.float64) - 1e-9).astype(np.int64)


# ---- the entry point ---------------------------------------------------------------------------------
class _Rows:
    """The (sites, designs) arrays of a BatchPerf being filled row block by row block. An array is
    allocated when first written; one never written is a read-only view of zero (no memory)."""

    INTS = ("compute_cycles", "stall_cycles", "macs", "effectual_macs", "skipped_macs", "gated_macs", "vector_ops",
            "metadata_bytes", "dram_read_bytes", "dram_write_bytes")

    def __init__(self, n_sites: int, n_designs: int):
        self.shape = (n_sites, n_designs)
        self._arrays: dict[str, np.ndarray] = {}
        self.actions: dict[str, np.ndarray] = {}

    def set(self, name: str, rows, values, dtype=np.int64) -> None:
        arr = self._arrays.get(name)
        if arr is None:
            arr = self._arrays[name] = np.zeros(self.shape, dtype=dtype)
        arr[rows] = values

    def get(self, name: str, dtype=np.int64) -> np.ndarray:
        arr = self._arrays.get(name)
        return arr if arr is not None else np.broadcast_to(np.zeros((), dtype=dtype), self.shape)

    def action(self, name: str, rows, values) -> None:
        arr = self.actions.get(name)
        if arr is None:
            arr = self.actions[name] = np.zeros(self.shape, dtype=np.float64)
        arr[rows] = values

    def perf_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {f: self.get(f) for f in self.INTS}
        out.update(utilization=self.get("utilization", np.float64),
                   mapping_efficiency=self.get("mapping_efficiency", np.float64),
                   source=self.get("source", np.int8), bound=self.get("bound", np.int8),
                   sram_read_bytes={b: self.get(f"sram_rd_{b}") for b in BUFFERS},
                   sram_write_bytes={b: self.get(f"sram_wr_{b}") for b in BUFFERS}, actions=self.actions)
        return out


def evaluate(walk: Walk, designs: Designs | Sequence[SystolicSpec], cache: EvalCache = DEFAULT) -> BatchPerf:
    """Every site of ``walk`` on every systolic design (see the module docstring)."""
    d = designs if isinstance(designs, Designs) else Designs.of(designs)
    sites = walk.sites
    nd = len(d)
    R = _Rows(len(sites), nd)
    D = design_arrays(d)
    comp = [i for i, s in enumerate(sites) if s.layer.is_compute and not s.fused]
    vec = [i for i, s in enumerate(sites) if not s.layer.is_compute and not s.fused]
    fused = [i for i, s in enumerate(sites) if s.fused]
    refused: list[tuple[int, int, str] | None] = [None] * nd
    state: dict[str, Any] = {}
    if comp:
        state = _compute_rows(R, [sites[i].layer for i in comp], np.asarray(comp), d, D, cache, refused)
    if vec:
        v = vector_unit([sites[i].layer for i in vec], D["cols"], D["dram_bytes_per_cycle"])
        rows = np.asarray(vec)
        R.set("compute_cycles", rows, v["compute_cycles"])
        R.set("stall_cycles", rows, v["stall_cycles"])
        R.set("vector_ops", rows, v["ops"])
        R.set("dram_read_bytes", rows, v["read_bytes"])
        R.set("dram_write_bytes", rows, v["write_bytes"])
        for b, key in (("ifmap", "read_bytes"), ("ofmap", "write_bytes")):
            R.set(f"sram_rd_{b}", rows, v[key])
            R.set(f"sram_wr_{b}", rows, v[key])
            R.action(f"sram_{b}:read_byte", rows, v[key])
            R.action(f"sram_{b}:write_byte", rows, v[key])
        R.action("vector:op", rows, v["ops"])
        R.action("dram:read_bit", rows, 8.0 * v["read_bytes"])
        R.action("dram:write_bit", rows, 8.0 * v["write_bytes"])
        R.set("bound", rows, np.where(v["stall_cycles"] > 0, BOUND_CODE["dram"], BOUND_CODE["compute"]), np.int8)
        R.set("source", rows, np.array([SOURCE_CODE[sites[i].layer.weight_sparsity.source] for i in vec])[:, None],
              np.int8)
        state["vector_stall"] = dict(zip(vec, v["stall_cycles"]))
    if fused:
        rows = np.asarray(fused)
        ops = np.array([sites[i].layer.vector_ops for i in fused], dtype=np.int64)[:, None]
        R.set("vector_ops", rows, ops)
        R.action("vector:op", rows, ops)
        R.set("mapping_efficiency", rows, 1.0, np.float64)
        R.set("bound", rows, BOUND_CODE["fused"], np.int8)
    reasons = tuple("" if r is None else r[2] for r in refused)
    comp_pos = {i: c for c, i in enumerate(comp)}

    def details(i: int, j: int) -> Details:
        site = sites[i]
        if site.fused:
            return FusedDetails(walk.owners[site.layer.name])
        if not site.layer.is_compute:
            return VectorUnitDetails("vector", int(D["cols"][j]), int(state["vector_stall"][i][j]))
        return _compute_details(state, comp_pos[i], j, d.spec(j), D, cache)

    return BatchPerf(feasible=np.array([r is None for r in refused], dtype=bool), reasons=reasons, details=details,
                     cycle_s=cycle_s(d.value("clock_mhz").astype(np.float64)),
                     peak_macs_per_cycle=(D["rows"] * D["cols"]).astype(np.float64), **R.perf_fields())


def _dense_run(layers: Sequence[Layer], groups: Sequence[tuple[SystolicSpec, np.ndarray]]) -> bool:
    """Dense weights and activations on arrays without sparsity features: the dense formulas alone."""
    return (all(l.weight_sparsity.is_dense and l.weight_sparsity.mask is None and l.act_density == 1.0
                for l in layers) and not any(sparse_array(s) for s, _ in groups))


def _compute_rows(R: _Rows, layers, rows, d: Designs, D, cache, refused) -> dict[str, Any]:
    cols = layer_columns(layers, cache)
    for j, r in enumerate(tile_refusals(layers, d, D)):
        if r is not None:
            refused[j] = (r[0], 0, r[1])
    groups = feature_groups(d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # designs refused above
        if _dense_run(layers, groups):
            res, sc = evaluate_batch(cols, D), None
        else:
            sc = sparse_columns(layers, groups, cols, D, cache)
            for j, e in enumerate(sc.errors):
                if e is not None and (refused[j] is None or (e[0], 1) < refused[j][:2]):
                    refused[j] = (e[0], 1, e[1])
            res = evaluate_columns(cols, D, sc)
    shape = res["total_cycles"].shape
    macs = np.broadcast_to(res["macs"], shape)
    compute, stall = res["compute_cycles"], res["stall_cycles"]
    R.set("compute_cycles", rows, compute)
    R.set("stall_cycles", rows, stall)
    R.set("macs", rows, macs)
    if sc is None:
        eff, executed, gated = macs, macs, None
        R.set("source", rows, np.array([SOURCE_CODE[l.weight_sparsity.source] for l in layers])[:, None], np.int8)
    else:
        eff, executed, gated = sc.effectual_macs, sc.executed_macs, sc.gated_macs
        R.set("skipped_macs", rows, macs - executed)
        R.set("metadata_bytes", rows, res["metadata_bytes"])
        R.set("source", rows, sc.source, np.int8)
        R.set("gated_macs", rows, gated)
    R.set("effectual_macs", rows, eff)
    total = compute + stall
    peak = (D["rows"] * D["cols"])[None, :]
    R.set("utilization", rows, np.where(total > 0, eff / (peak * np.maximum(total, 1)), 0.0), np.float64)
    R.set("mapping_efficiency", rows, res["mapping_efficiency"], np.float64)
    dram_rd, dram_wr = _whole_bytes(res["dram_read_bytes"]), _whole_bytes(res["dram_write_bytes"])
    R.set("dram_read_bytes", rows, dram_rd)
    R.set("dram_write_bytes", rows, dram_wr)
    mac_bits = d.value("pe_array.mac_bits").astype(np.int64)
    performed = executed if gated is None else executed - gated
    for bits in np.unique(mac_bits):
        on = (mac_bits == bits)[None, :]
        R.action(f"mac:int{bits}", rows, performed if on.all() else np.where(on, performed, 0))
        if gated is not None and np.any(gated):
            R.action(f"mac_gated:int{bits}", rows, gated if on.all() else np.where(on, gated, 0))
    R.action("register:access", rows, np.broadcast_to(res["register_accesses"], shape))
    R.action("dram:read_bit", rows, 8.0 * dram_rd)
    R.action("dram:write_bit", rows, 8.0 * dram_wr)
    for b in BUFFERS:
        rd, wr = _whole_bytes(res[f"sram_{b}_read_bytes"]), _whole_bytes(res[f"sram_{b}_write_bytes"])
        R.set(f"sram_rd_{b}", rows, rd)
        R.set(f"sram_wr_{b}", rows, wr)
        R.action(f"sram_{b}:read_byte", rows, rd)
        R.action(f"sram_{b}:write_byte", rows, wr)
    dram_bound = res["dram_stall_cycles"] >= res["sram_stall_cycles"]
    R.set("bound", rows, np.where(stall <= 0, BOUND_CODE["compute"],
                                  np.where(dram_bound, BOUND_CODE["dram"], BOUND_CODE["sram"])), np.int8)
    return {"layers": layers, "cols": cols, "res": res}


def _compute_details(state: dict, c: int, j: int, spec: SystolicSpec, D: dict, cache: EvalCache) -> Details:
    """The typed details of compute layer ``c`` (index among the compute sites) on design ``j``."""
    res, layer, cols = state["res"], state["layers"][c], state["cols"]
    at = lambda key: res[key][c, j] if np.ndim(res[key]) == 2 else res[key][c]  # noqa: E731
    p = cols["problems"][c]
    sparse = None
    L = {k: cols[k][c] for k in LAYER_COLUMNS}
    plan = weights_plan(layer, spec, feature_signature(spec), L, cache) if sparse_array(spec) or not (
        layer.weight_sparsity.is_dense and layer.weight_sparsity.mask is None) else None
    if plan is not None and not isinstance(plan, CosimError):
        Dj = {k: np.atleast_1d(v[j]) for k, v in D.items()}
        extra: dict[str, Any] = {}
        if plan.run_mode == "lanes":
            profiles, index = lane_profiles(plan, L, Dj, cache)
            prof = profiles[int(index[0])]
            extra = dict(load_imbalance=round(prof.load_imbalance, 4), lane_max_nonzeros=prof.lane_max_nonzeros,
                         lane_busiest_sum=prof.busiest_sum, lane_mean_sum=round(prof.mean_sum, 3))
        dense = evaluate_batch({k: cols[k][c:c + 1] for k in list(LAYER_COLUMNS) + ["problems"]},
                               {k: v[j:j + 1] for k, v in D.items()})
        dense_total = int(dense["total_cycles"][0, 0])
        d = plan.details
        sparse = SparseRunDetails(
            weight_pattern=d["weight_pattern"], weight_run=d["weight_run"], skipping=d["skipping"],
            zero_gating=d["zero_gating"], act_density=d["act_density"], array_k=int(d["array_k"]),
            filter_format=d["filter_format"], filter_stored_bytes=int(d["filter_stored_bytes"]),
            filter_dense_bytes=int(d["filter_dense_bytes"]), ifmap_format=d["ifmap_format"],
            weight_source=d["weight_source"], activation_source=d["activation_source"],
            stream_cycles=int(at("stream_cycles")), dense_stream_cycles=int(dense["stream_cycles"][0, 0]),
            dense_total_cycles=dense_total, ideal_speedup=round(plan.ideal_speedup, 4),
            achieved_speedup=round(dense_total / max(int(at("total_cycles")), 1), 4),
            nm_pattern=d.get("nm_pattern"), **extra)
    return SystolicDetails(
        dataflow=spec.pe_array.dataflow, timing=spec.timing, gemm=(p.groups, p.m, p.n, p.k), folds=int(at("folds")),
        row_folds=int(at("row_folds")), col_folds=int(at("col_folds")), chunks=int(at("chunks")),
        sram_stall_cycles=int(at("sram_stall_cycles")), dram_stall_cycles=int(at("dram_stall_cycles")),
        sram_ifmap_reads=int(at("sram_ifmap_read_elems")), sram_filter_reads=int(at("sram_filter_read_elems")),
        sram_ofmap_writes=int(at("sram_ofmap_write_elems")),
        sram_ofmap_psum_reads=int(at("sram_ofmap_psum_read_elems")),
        dram_ifmap_reads=int(at("dram_ifmap_read_elems")), dram_filter_reads=int(at("dram_filter_read_elems")),
        dram_ofmap_writes=int(at("dram_ofmap_write_elems")), sparse=sparse, **_mapping_details(at))


def _mapping_details(at) -> dict[str, Any]:
    """The mapper's choice for one (layer, design), as SystolicDetails fields."""
    if not bool(at("mapped")):
        return {}
    return dict(mapped=True, loop_order=order_name(int(at("map_order"))), tile_m=int(at("map_tile_m")),
                tile_n=int(at("map_tile_n")), tile_c=int(at("map_tile_c")),
                transfers_overlap=bool(at("map_overlap")))
