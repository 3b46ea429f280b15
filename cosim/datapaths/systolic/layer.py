"""Systolic-array datapath: ``simulate_layer(layer, spec: SystolicSpec) -> LayerPerf``.

Cycle-approximate, per fold: a layer's ``groups`` GEMMs (run one after another) are folded onto the
R × C array by the dataflow (cosim/datapaths/systolic/tiling.py); each fold costs fill + stream + drain cycles; operands
are tiled to the SRAM halves with double buffering so DRAM transfers overlap compute, and a stall is
charged where DRAM bandwidth or SRAM ports fall short. The formulas live in
cosim/datapaths/systolic/model.py (``systolic_model``), shared with the batch evaluator; the two
timing modes are described there and in cosim/datapaths/systolic/scalesim_timing.py.

SRAM ports and banks: a buffer delivers at most banks × ports × bank_width_bytes per cycle
(SramSpec.peak_bytes_per_cycle; width 0 = ideal). Requests are interleaved across banks, so conflicts
show up as that aggregate limit: when the array-side bytes of a buffer over the layer exceed what its
ports deliver in the compute cycles, the difference is stall (``details['sram_stall_cycles']``).
SCALE-Sim models bank conflicts only with custom layouts, so its presets leave the width at 0.

Matmul layers have no weights: their second operand (K × N per head, an activation) takes the filter
operand's path — read from DRAM into the filter buffer and streamed like weights — at the activation
precision. Vector layers run on the vector unit (cosim/datapaths/vector.py).

Sparsity: where the spec has sparse features (``sparsity``, ``dual_side_sparse``) or the layer sparse
weights, cosim/datapaths/systolic/sparse.py plans the run (gating, N:M or lane skipping, compressed
operands) as sparse columns of the same model, and the LayerPerf carries its MAC accounting
(effectual, skipped, gated MACs, ``mac_gated:<p>`` actions), ``metadata_bytes`` and details
(``load_imbalance``, ``ideal_speedup``, ``achieved_speedup`` against the dense run, ...). A dense layer
on a dense array never enters it.

Stream hook: ``simulate_layer`` also takes ``stream_cycles``, a function (problem, spec) → Σ over one
group's folds of the cycles spent streaming; :func:`dense_stream_cycles` (every fold streams its full
T) is the default. Given, it replaces the sparse plan: everything else (fill, drain, traffic, stalls)
stays dense.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from cosim.datapaths.systolic import sparse as systolic_sparse
from cosim.datapaths.systolic.model import PSUM_BYTES, design_arrays, systolic_model
from cosim.datapaths.vector import simulate_vector_layer
from cosim.errors import require
from cosim.graph import Layer
from cosim.hw.spec import SystolicSpec
from cosim.datapaths.systolic.tiling import DATAFLOW_CODES, GemmProblem, ceil_div, gemm_problem, spatial_temporal, ws_block_elems
from cosim.perf import LayerPerf

StreamCycles = Callable[[GemmProblem, SystolicSpec], int]


def dense_stream_cycles(problem: GemmProblem, spec: SystolicSpec) -> int:
    """Σ over one group's folds of the streaming cycles of a dense layer: folds · T."""
    return int(np.sum(fold_stream_cycles(problem, spec)))


def fold_stream_cycles(problem: GemmProblem, spec: SystolicSpec) -> np.ndarray:
    """Streaming cycles of each fold of one group (dense: T for every fold), in SCALE-Sim's fold order
    (column folds outer). A sparse variant returns, per fold, the cycles its slowest lane needs."""
    pe = spec.pe_array
    df = DATAFLOW_CODES[pe.dataflow]
    sr, sc, t = spatial_temporal(problem.m, problem.n, problem.k, df)
    folds = int(ceil_div(sr, pe.rows) * ceil_div(sc, pe.cols))
    return np.full(folds, int(t), dtype=np.int64)


def _layer_columns(problem: GemmProblem, layer: Layer, rows: int) -> dict[str, np.ndarray]:
    weight_bits = layer.weight_bits if layer.has_weights else layer.act_bits
    vals = {"G": problem.groups, "M": problem.m, "N": problem.n, "K": problem.k,
            "ifmap_unique": problem.ifmap_unique, "ifmap_halo": problem.ifmap_halo,
            "ifmap_valid": problem.ifmap_valid,
            "act_bits": layer.act_bits, "weight_bits": weight_bits, "out_bits": layer.out_bits}
    holder = np.empty((), dtype=object)
    holder[()] = problem
    vals["ifmap_ws_blocks"] = ws_block_elems(holder, problem.ifmap_valid, problem.ch_per_group, rows)
    return {k: np.asarray(v, dtype=np.int64) for k, v in vals.items()}


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


def _bytes(x) -> int:
    return int(math.ceil(float(x) - 1e-9))


def simulate_layer(layer: Layer, spec: SystolicSpec, stream_cycles: StreamCycles | None = None) -> LayerPerf:
    """Cycles and action counts of ``layer`` on the systolic array ``spec`` (no energy)."""
    if not layer.is_compute:
        return simulate_vector_layer(layer, spec)
    check_tiles(layer, spec)
    problem = gemm_problem(layer)
    L = _layer_columns(problem, layer, spec.pe_array.rows)
    D = {k: v[0] for k, v in design_arrays([spec]).items()}
    if stream_cycles is not None:
        return _layer_perf(layer, spec, problem, systolic_model(L, D, stream_cycles=np.int64(stream_cycles(problem, spec))))
    plan = systolic_sparse.plan_layer(layer, spec, L, D)
    if plan is None:
        return _layer_perf(layer, spec, problem, systolic_model(L, D))
    dense = systolic_model(L, D)
    out = systolic_model({**L, **plan.columns}, D) if plan.columns else dense
    return _layer_perf(layer, spec, problem, out, plan, dense)


def _layer_perf(layer: Layer, spec: SystolicSpec, problem: GemmProblem, out: dict,
                plan: systolic_sparse.SparsePlan | None = None, dense: dict | None = None) -> LayerPerf:
    macs = layer.macs
    compute, stall = int(out["compute_cycles"]), int(out["stall_cycles"])
    sram_rd = {b: _bytes(out[f"sram_{b}_read_bytes"]) for b in ("ifmap", "filter", "ofmap")}
    sram_wr = {b: _bytes(out[f"sram_{b}_write_bytes"]) for b in ("ifmap", "filter", "ofmap")}
    dram_rd, dram_wr = _bytes(out["dram_read_bytes"]), _bytes(out["dram_write_bytes"])
    actions: dict[str, float] = {**systolic_sparse.mac_actions(plan, macs, spec.pe_array.mac_bits),
                                 "register:access": float(out["register_accesses"]),
                                 "dram:read_bit": 8.0 * dram_rd, "dram:write_bit": 8.0 * dram_wr}
    for b in ("ifmap", "filter", "ofmap"):
        actions[f"sram_{b}:read_byte"] = float(sram_rd[b])
        actions[f"sram_{b}:write_byte"] = float(sram_wr[b])
    details = {
        "dataflow": spec.pe_array.dataflow, "timing": spec.timing, "gemm": [problem.groups, problem.m, problem.n,
                                                                            problem.k],
        "folds": int(out["folds"]), "row_folds": int(out["row_folds"]), "col_folds": int(out["col_folds"]),
        "chunks": int(out["chunks"]),
        "sram_stall_cycles": int(out["sram_stall_cycles"]), "dram_stall_cycles": int(out["dram_stall_cycles"]),
        # Element counts comparable with SCALE-Sim's DETAILED_ACCESS_REPORT (array-side SRAM, DRAM side).
        "sram_ifmap_reads": int(out["sram_ifmap_read_elems"]), "sram_filter_reads": int(out["sram_filter_read_elems"]),
        "sram_ofmap_writes": int(out["sram_ofmap_write_elems"]),
        "sram_ofmap_psum_reads": int(out["sram_ofmap_psum_read_elems"]),
        "dram_ifmap_reads": int(out["dram_ifmap_read_elems"]), "dram_filter_reads": int(out["dram_filter_read_elems"]),
        "dram_ofmap_writes": int(out["dram_ofmap_write_elems"]),
    }
    effectual, skipped, gated, metadata, source = macs, 0, 0, 0, layer.weight_sparsity.source
    if plan is not None:
        effectual, skipped, gated, source = plan.effectual_macs, plan.skipped_macs, plan.gated_macs, plan.source
        metadata = systolic_sparse.metadata_bytes(plan, out["dram_ifmap_read_bytes"], out["dram_filter_read_bytes"])
        dense_total = int(dense["total_cycles"])
        details.update(plan.details)
        details.update(stream_cycles=int(out["stream_cycles"]), dense_stream_cycles=int(dense["stream_cycles"]),
                       dense_total_cycles=dense_total, ideal_speedup=round(plan.ideal_speedup, 4),
                       achieved_speedup=round(dense_total / max(compute + stall, 1), 4))
    return LayerPerf(
        compute_cycles=compute, stall_cycles=stall, macs=macs, effectual_macs=effectual,
        utilization=effectual / (spec.peak_macs_per_cycle * (compute + stall)) if compute + stall else 0.0,
        mapping_efficiency=float(out["mapping_efficiency"]), sram_read_bytes=sram_rd, sram_write_bytes=sram_wr,
        dram_read_bytes=dram_rd, dram_write_bytes=dram_wr, actions=actions, skipped_macs=skipped, gated_macs=gated,
        metadata_bytes=metadata, sparsity_source=source, details=details,
    )
