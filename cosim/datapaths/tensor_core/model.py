"""Sparse tensor cores (GPU-like or accelerator-like): one layer -> LayerPerf.

Compute layers (conv2d by im2col, linear, matmul) are GEMMs in cosim's view (``layer.gemm`` = groups,
M = output positions, N = filters/out features, K = reduction). The tensor core sees them the other way
round: the weight operand has N rows ("weight rows", the M of ``W (M×K) @ X (K×N)`` in GPU benchmark
tables) and the activations bring M tokens. cosim/datapaths/tensor_core/gemm_timing.py times that product (tiles,
waves, split-K, memory roofline, overhead, power-capped clock).

What sparsity does here (DESIGN.md: each feature says what it saves):

* weights pruned to an N:M pattern the hardware lists (``sparsity.nm_patterns``; 2:4 on Ampere and
  Hopper): the weights are stored compressed (kept values + ceil(log2 M)-bit indices, the metadata
  counted in ``metadata_bytes``) and the tensor cores skip the zeros, m/n times less math. A pattern
  that satisfies a listed one runs as that one (1:4 runs as 2:4 on a 2:4-only chip, at 2x, not 4x):
  with a mask this is checked group by group, without one from the pattern (n':m' fits n:m when every
  m-group can hold at most n nonzeros of it).
* anything else (unstructured, block, an unsupported N:M, a mask that breaks the pattern) runs dense:
  zeros are multiplied like any value (a GPU neither gates nor skips them) — or, with
  ``unsupported_pattern: error``, stops with a one-line error naming the layer.
* channel sparsity removes whole filters: the GEMM shrinks to the filters kept (any datapath gains).
* only the weights are sparse, unless ``dual_side_sparse``: then activation zeros are skipped too, by
  ``act_density`` (a statistical model), with the imbalance and bitmap metadata of
  gemm_timing.py's activation skipping: each step waits for its busiest lane, so the speedup stays
  below 1/act_density. The kernel runs with skipping or without, whichever is faster
  (``details.act_skipping``); the kernel library is the weights' (cuBLAS-like for dense weights).

Vector layers (norm, act, softmax, add, pool, concat, embedding) are memory-bound kernels: a per-kernel
overhead plus max(bytes / bandwidth, element ops / vector lanes).

Reported cycles count the chip's maximum clock (``clock_mhz``) over the layer's time, whatever clock the
power cap allowed (``details['clock_mhz']``); ``utilization`` = MACs performed / (tensor-core peak at
the layer's precision x the pattern's speedup x cycles).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from cosim.datapaths.tensor_core.gemm_timing import GemmProblem, GemmTiming, Residency, gemm_timing, standalone_residency
from cosim.errors import CosimError
from cosim.graph import Layer
from cosim.hw.energy_tables import table_for
from cosim.hw.stc_spec import SparseTensorCoreSpec, metadata_bits_per_kept
from cosim.datapaths.tensor_core.details import TILE_BOUND_EFFICIENCY, TensorCoreGemmDetails, TensorCoreVectorDetails
from cosim.perf import LayerPerf
from cosim.sparsity import runs_as_nm

@dataclass(frozen=True)
class PatternRun:
    """How the weights' sparsity runs on the tensor cores."""

    speedup: float  # m/n of the pattern run (1 = dense)
    n: int
    m: int
    rows: int  # weight rows per group that are computed (fewer after channel pruning)
    note: str


def pattern_run(layer: Layer, spec: SparseTensorCoreSpec) -> PatternRun:
    """The pattern the hardware runs the layer's weights at; raises CosimError where the spec asks for
    errors on patterns it cannot skip."""
    rows = layer.gemm_n
    sp = layer.weight_sparsity
    if not layer.has_weights or sp.density >= 1.0 or (sp.kind == "nm" and sp.n == sp.m):
        return PatternRun(1.0, 1, 1, rows, "dense")
    if sp.kind == "channel":  # pruned filters are removed: a smaller dense GEMM
        if sp.mask is not None:
            kept = int(sp.mask.any(axis=2).sum(axis=1).max())
        else:
            kept = math.ceil(rows * sp.density)
        return PatternRun(1.0, 1, 1, max(kept, 1), f"channel pruning: {max(kept, 1)} of {rows} filters computed")
    best: tuple[int, int] | None = None
    for hw_n, hw_m in spec.supported_patterns():
        ok = runs_as_nm(sp, hw_n, hw_m)
        if ok and (best is None or hw_m / hw_n > best[1] / best[0]):
            best = (hw_n, hw_m)
    if best is not None and best[0] < best[1]:
        return PatternRun(best[1] / best[0], best[0], best[1], rows, f"{sp.label} weights run as {best[0]}:{best[1]}")
    listed = ", ".join(spec.sparsity.nm_patterns) if spec.sparsity.skipping == "nm" else "none"
    if spec.unsupported_pattern == "error":
        raise CosimError(f"layer '{layer.name}': {sp.label} weight sparsity cannot be skipped by '{spec.name}' "
                         f"(it skips N:M patterns: {listed}); prune to one of those or set "
                         "unsupported_pattern: dense to run the layer dense")
    return PatternRun(1.0, 1, 1, rows, f"{sp.label} weights run dense (skipped patterns: {listed})")


def gemm_bound(t: Any, tile_efficiency: float) -> str:
    """What limits a GEMM kernel's time: launch/fix-up overhead where it exceeds the roofline time, else
    the roofline side; a compute-bound kernel whose tiles leave most issued math idle is ``tiles``."""
    if t.overhead_s >= max(t.compute_s, t.memory_s):
        return "overhead"
    if t.bound != "compute":
        return "memory"
    return "tiles" if tile_efficiency < TILE_BOUND_EFFICIENCY else "compute"


def layer_problem(layer: Layer, spec: SparseTensorCoreSpec) -> tuple[PatternRun, GemmProblem, bool]:
    run = pattern_run(layer, spec)
    # A declared format runs as itself (cosim.precision.check_precision refuses one the chip lacks).
    precision = layer.number_format or spec.precision_for_bits(max(layer.weight_bits, layer.act_bits))
    act_density = layer.act_density if spec.dual_side_sparse else 1.0
    sparse_run = run.speedup > 1.0
    problem = GemmProblem(
        groups=layer.groups, rows=run.rows, tokens=layer.gemm_m, k=layer.gemm_k, precision=precision,
        weight_bytes=layer.weight_bits / 8.0, act_bytes=layer.act_bits / 8.0, out_bytes=layer.out_bits / 8.0,
        speedup=run.speedup, metadata_bits=metadata_bits_per_kept(run.m) if run.speedup > 1.0 else 0.0,
        act_density=act_density, input_elems=float(layer.input_elems),
        weight_elems=float(layer.weight_elems * run.rows // layer.gemm_n))
    return run, problem, sparse_run


def dense_weight_bytes(p: GemmProblem) -> float:
    """The weights' bytes stored dense (no compression, no metadata): what decides L2 residency."""
    return (p.weight_elems or p.groups * p.rows * p.k) * p.weight_bytes


def activation_bytes(layer: Layer) -> tuple[float, float]:
    """(input, output) activation bytes of a layer (an activation product's second operand counts
    as input)."""
    if layer.is_compute:
        second = 0.0 if layer.has_weights else layer.weight_elems * layer.weight_bits / 8.0
        return (layer.input_elems * layer.act_bits / 8.0 + second, layer.output_elems * layer.out_bits / 8.0)
    operands = 2 if layer.op == "add" else 1
    in_bits = 0 if layer.op == "embedding" else layer.act_bits  # an embedding reads token ids and its table
    return operands * layer.input_elems_read * in_bits / 8.0, layer.output_elems * layer.out_bits / 8.0


def layer_perf(layer: Layer, spec: SparseTensorCoreSpec, residency: Residency | None,
              plan: tuple[PatternRun, GemmProblem, bool] | None = None) -> LayerPerf:
    if not layer.is_compute:
        return simulate_vector_layer(layer, spec, residency)
    run, problem, sparse_run = plan or layer_problem(layer, spec)
    kernel = spec.sparse_kernel if sparse_run else spec.dense_kernel
    t = gemm_timing(problem, spec, kernel, table_for(spec), residency)
    if problem.act_density < 1.0:  # activation skipping only where it pays (bitmap feed, imbalance)
        plain = dataclasses.replace(problem, act_density=1.0)
        t_plain = gemm_timing(plain, spec, kernel, table_for(spec), residency)
        if t_plain.time_s <= t.time_s:
            problem, t = plain, t_plain
    return _gemm_perf(layer, spec, run, problem, t, sparse_run)


def _gemm_perf(layer: Layer, spec: SparseTensorCoreSpec, run: PatternRun, p: GemmProblem, t: GemmTiming,
               sparse_run: bool) -> LayerPerf:
    f_nom = spec.clock_mhz * 1e6
    total = max(1, round(t.time_s * f_nom))
    compute = min(total, round(t.compute_s * f_nom))
    macs = layer.macs
    density = layer.weight_sparsity.density if layer.has_weights else 1.0
    effectual = round(macs * density * (layer.act_density if spec.dual_side_sparse else 1.0))
    skipping = p.act_density < 1.0
    executed = math.ceil(t.executed_macs - 1e-9)  # a partial N:M group still takes a MAC slot
    out_bytes = round(p.groups * p.rows * p.tokens * p.out_bytes)
    feed = round(t.feed_bytes)
    kept = p.groups * p.rows * p.k / p.speedup
    metadata = round(kept * p.metadata_bits / 8.0 + t.act_bitmap_bytes)
    peak = spec.sm_count * spec.macs_per_cycle_per_sm[p.precision] * p.speedup / p.act_density
    tr, tt = t.tile
    tile_fill = (p.rows * p.tokens) / ((-(-p.rows // tr) * tr) * (-(-p.tokens // tt) * tt))
    slots = t.waves * spec.sm_count if t.mode != "split-k" else spec.sm_count
    busy = t.tiles * (t.split_k if t.mode == "split-k" else 1)
    sram_rd = {"smem": feed}
    sram_wr = {"smem": feed}
    if spec.l2_kib > 0:
        sram_rd["l2"] = feed
        sram_wr["l2"] = out_bytes
    actions = {f"mac:{p.precision}": float(executed), "dram:read_bit": 8.0 * t.dram_read_bytes,
               "dram:write_bit": 8.0 * t.dram_write_bytes}
    for buf in sram_rd:
        actions[f"sram_{buf}:read_byte"] = float(sram_rd[buf])
        actions[f"sram_{buf}:write_byte"] = float(sram_wr[buf])
    return LayerPerf(
        compute_cycles=compute, stall_cycles=total - compute, macs=macs, effectual_macs=effectual,
        utilization=executed / (peak * total) if total else 0.0,
        mapping_efficiency=tile_fill * min(1.0, busy / slots),
        sram_read_bytes=sram_rd, sram_write_bytes=sram_wr,
        dram_read_bytes=round(t.dram_read_bytes), dram_write_bytes=round(t.dram_write_bytes),
        actions=actions, skipped_macs=max(0, macs - executed),
        metadata_bytes=metadata, sparsity_source=layer.weight_sparsity.source,
        bound=gemm_bound(t, tile_fill * min(1.0, busy / slots)),
        details=TensorCoreGemmDetails(
            kernel="sparse" if sparse_run else "dense", precision=p.precision, pattern=run.note,
            math_speedup=run.speedup, clock_mhz=round(t.clock_hz / 1e6, 1), tile=tuple(t.tile), tiles=t.tiles,
            waves=t.waves, k_steps=t.k_steps, split_k=t.split_k, mode=t.mode, bound=t.bound,
            l2_resident=t.l2_resident, time_us=t.time_s * 1e6, compute_us=t.compute_s * 1e6,
            memory_us=t.memory_s * 1e6, overhead_us=t.overhead_s * 1e6,
            tile_efficiency=tile_fill * min(1.0, busy / slots), act_skipping=skipping,
            act_imbalance=t.act_step_density / p.act_density if skipping else 1.0),
    )


def simulate_vector_layer(layer: Layer, spec: SparseTensorCoreSpec, residency: Residency | None = None) -> LayerPerf:
    """A memory-bound elementwise/reduction kernel: overhead + max(bytes / bandwidth, ops / lanes).

    Bytes: every input element read once (an ``add`` reads two operands of the output's size; an
    embedding one table row per token) and every output written once. Bytes L2 does not hold move
    through DRAM at ``vector_efficiency`` (default ``dram_efficiency``) of its peak, all bytes through
    L2 at its effective bandwidth (``residency``: see gpu_gemm.standalone_residency).
    """
    in_bits = layer.weight_bits if layer.op == "embedding" else layer.act_bits
    operands = 2 if layer.op == "add" else 1
    read_bytes = math.ceil(operands * layer.input_elems_read * in_bits / 8)
    write_bytes = math.ceil(layer.output_elems * layer.out_bits / 8)
    moved = read_bytes + write_bytes
    res = residency if residency is not None else standalone_residency(spec, moved)
    reads_l2 = res.weights if layer.op == "embedding" else res.inputs
    dram_r, dram_w = (0 if reads_l2 else read_bytes), (0 if res.outputs else write_bytes)
    eff = spec.vector_efficiency or spec.dram_efficiency
    memory_s = (dram_r + dram_w) / (spec.dram.bandwidth_gb_per_s * 1e9 * eff)
    if spec.l2_kib > 0:
        memory_s = max(memory_s, moved / (spec.l2_bandwidth_gb_per_s * 1e9))
    f = spec.clock_mhz * 1e6
    ops = layer.vector_ops
    compute_s = ops / (spec.sm_count * spec.vector_lanes_per_sm * f)
    overhead_s = spec.dense_kernel.overhead_us * 1e-6
    total = max(1, round((overhead_s + max(compute_s, memory_s)) * f))
    compute = min(total, round(compute_s * f))
    sram_rd = {"smem": 0}
    sram_wr = {"smem": 0}
    if spec.l2_kib > 0:  # the SMs read operands from L2 and write results to it
        sram_rd["l2"] = read_bytes
        sram_wr["l2"] = write_bytes
    actions = {"vector:op": float(ops), "dram:read_bit": 8.0 * dram_r, "dram:write_bit": 8.0 * dram_w}
    for buf in sram_rd:
        actions[f"sram_{buf}:read_byte"] = float(sram_rd[buf])
        actions[f"sram_{buf}:write_byte"] = float(sram_wr[buf])
    return LayerPerf(
        compute_cycles=compute, stall_cycles=total - compute, macs=0, effectual_macs=0, utilization=0.0,
        mapping_efficiency=0.0, sram_read_bytes=sram_rd, sram_write_bytes=sram_wr, dram_read_bytes=dram_r,
        dram_write_bytes=dram_w, actions=actions, vector_ops=ops, sparsity_source=layer.weight_sparsity.source,
        bound="overhead" if overhead_s >= max(compute_s, memory_s) else ("compute" if compute_s >= memory_s
                                                                          else "memory"),
        details=TensorCoreVectorDetails(kernel="vector", l2_resident=dram_r + dram_w == 0, bytes_moved=moved,
                                        memory_us=memory_s * 1e6, compute_us=compute_s * 1e6,
                                        overhead_us=overhead_s * 1e6),
    )
