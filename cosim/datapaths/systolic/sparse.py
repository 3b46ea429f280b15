"""What sparsity changes on a systolic array: zero gating, N:M and unstructured skipping, compressed
operands. ``plan_layer`` turns a layer and a spec into the sparse columns of the one systolic model
(cosim/datapaths/systolic/model.py, SPARSE_KEYS) plus the MAC accounting; ``simulate_layer`` in
cosim/datapaths/systolic/layer.py and :func:`evaluate_sparse_batch` both use its two parts (``weights_plan``,
per layer and sparse features; the lane profiles, per design), so they agree exactly.

Each feature says what it saves (DESIGN.md):

* **zero gating** (``sparsity.zero_gating``) saves energy only: a MAC slot whose operand is zero runs
  gated (``mac_gated:<p>`` actions, ``gated_macs``); cycles and traffic are the dense ones.
* **N:M skipping** (``skipping: nm``, S2TA: Liu et al., HPCA 2022; VEGETA: Jeong et al., HPCA 2023):
  weights that fit a listed N:M pattern along K are stored as their kept N of every M with a
  ⌈log2 M⌉-bit index each; a PE multiplies a kept weight by the activation its index selects out of
  the M of its block. The array so walks K' = ⌈K/M⌉·N instead of K (``array_k``), in every dataflow:
  the stream shrinks exactly (os: T = K'), or the row folds do (ws, is: Sr = K'). The activations
  are still read in full (K per output row), at M/N times the per-row rate. Among the listed patterns
  the one with the fewest slots wins; a sparse layer that fits none runs dense (``details`` says so)
  or, with ``unsupported_pattern: error``, stops with a one-line error.
* **unstructured skipping** (``skipping: unstructured``): every lane of PEs advances at the pace of
  its own nonzeros, so a fold lasts as long as its slowest lane. Lanes per dataflow (GEMM view: weights
  W are N × K, the mask (groups, N, K)):

    os  T = K streams down the columns; column j carries filter n_j's weights, so a column lane's work
        is that filter's nonzeros over all of K: fold stream = max over the fold's C filters.
    ws  the weights are stationary, the stream is the activations (T = M): a zero weight cannot shorten
        it. Skipping compacts each column instead: column j holds only filter n_j's nonzeros (values +
        K indices) and a column fold needs ⌈max_j nnz_j / R⌉ row folds, not ⌈K/R⌉ — its slowest lane
        is again its densest filter. Each PE picks its activation by index (as in N:M).
    is  T = N streams across the rows; row i carries the weights of reduction index k_i for every
        filter, so a row lane's work is column k_i of the mask over the fold's chunk of N: fold stream
        = max over the fold's R reduction indices (kernels.fold_lane_stats lanes "k").

  Only an array whose lanes are decoupled (``sparsity.lane_decoupling: true``: per-lane operand
  buffers and any-index selection, SIGMA-like, priced in cosim/hw/sparse_overheads.py) skips this
  way; a rigid array without them keeps its lanes in lockstep and runs dense cycles (gating still
  saves energy). With them this is the best a systolic array can do, and it still
  falls well short of 1/density: the busiest lane sets the pace (``load_imbalance`` = Σ busiest /
  Σ mean lane over folds) and every fold keeps its fill and drain.
* **activations** (``dual_side_sparse``, statistical: each activation is zero with probability
  1 − act_density, independently). Zero activations count as ineffectual everywhere (gated under
  gating). Under unstructured skipping an os or ws PE also skips them: a PE whose stream holds w
  effectual weight steps needs Binomial(w, act_density) of them and the fold waits for the busiest PE,
  E[max] (cosim.sparsity.expected_max_binomial) taken over all the fold's PEs with its busiest
  lane's w — an upper bound. An is PE holds its activation for the whole fold: no cycles saved.
* **compressed formats** (``compressed_format``): the weights are stored and moved as bitmap, CSR or
  RLE (kernels.compressed_sizes on the mask), or as N:M slots + indices for a layer that runs N:M;
  the activations (dual-side only) as the same format of a random mask at act_density. A tensor stays
  dense where its encoding would be larger. DRAM and SRAM bytes follow the stored size; the metadata
  moved from DRAM is ``metadata_bytes``.

Masks: a layer's own mask where it has one (``sparsity_source`` 'mask'), otherwise
cosim.sparsity.synthesize_mask with seed :data:`MASK_SEED` ('statistical'). Lane profiles are cached
per (mask, array shape, dataflow, chunk), so sweeps compute each once.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from cosim import kernels
from cosim.cache import EvalCache
from cosim.datapaths.systolic import tiling as mp
from cosim.datapaths.systolic.masks import MASK_SEED, MaskSource, layer_mask, ones_mask
from cosim.errors import CosimError
from cosim.graph import Layer
from cosim.hw.spec import SparseFeatures
from cosim.sparsity import runs_as_nm


# ---- how the weights run -------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightRun:
    mode: str  # dense | nm | lanes
    array_k: int  # reduction the array walks
    n: int = 0  # N:M pattern run (mode nm)
    m: int = 0
    note: str = ""


def _parse_pattern(text: str) -> tuple[int, int]:
    n, m = text.split(":")
    return int(n), int(m)


def weight_run(layer: Layer, spec: Any) -> WeightRun:
    """How ``layer``'s weights run on ``spec``'s array (raises CosimError where an N:M array must
    refuse a pattern it cannot skip)."""
    k = layer.gemm_k
    feats: SparseFeatures = spec.sparsity
    sp = layer.weight_sparsity
    dual = spec.dual_side_sparse and layer.act_density < 1.0
    if feats.skipping == "none":
        return WeightRun("dense", k, note="no skipping: zero weights are " + ("gated" if feats.zero_gating
                                                                               else "multiplied"))
    if not layer.has_weights:
        return WeightRun("dense", k, note="no weights (both operands are activations): runs dense")
    dense_w = sp.is_dense and sp.mask is None
    if feats.skipping == "unstructured":
        if dense_w and not dual:
            return WeightRun("dense", k, note="dense weights")
        if not feats.lane_decoupling:
            return WeightRun("dense", k, note=f"{sp.label} weights run dense: the lanes are not decoupled "
                                              "(sparsity.lane_decoupling: false), so no lane skips ahead")
        return WeightRun("lanes", k, note=f"{sp.label} weights: lanes skip zeros, a fold waits for its slowest lane")
    if dense_w or sp.density >= 1.0 or (sp.kind == "nm" and sp.n == sp.m and sp.mask is None):
        return WeightRun("dense", k, note="dense weights run dense")
    best: tuple[int, int, int] | None = None
    for text in feats.nm_patterns:
        hw_n, hw_m = _parse_pattern(text)
        ok = runs_as_nm(sp, hw_n, hw_m)
        slots = mp.ceil_div(k, hw_m) * hw_n
        if ok and (best is None or slots < best[0]):
            best = (slots, hw_n, hw_m)
    if best is not None:
        if best[0] < k:
            return WeightRun("nm", best[0], best[1], best[2], note=f"{sp.label} weights run as {best[1]}:{best[2]}")
        return WeightRun("dense", k, note=f"{sp.label} weights fit {best[1]}:{best[2]} but K={k} is too short to gain")
    listed = ", ".join(feats.nm_patterns)
    if spec.unsupported_pattern == "error":
        raise CosimError(f"layer '{layer.name}': {sp.label} weight sparsity cannot be skipped by '{spec.name}' "
                         f"(it skips N:M patterns {listed}); prune to one of those or set "
                         "unsupported_pattern: dense to run such layers dense")
    return WeightRun("dense", k, note=f"{sp.label} weights run dense (the array skips only {listed})")


# ---- compressed operands ---------------------------------------------------------------------------
def _weight_stored_bytes(mask: MaskSource, fmt: str, bits: int, nm: tuple[int, int] | None,
                         cache: EvalCache) -> tuple[int, int]:
    """(stored bytes, metadata bytes) of the weights of ``mask`` in ``fmt`` (kernels.compressed_sizes)."""
    def compute():
        size = kernels.compressed_sizes(mask.array(cache), bits, nm=nm)[fmt]
        return size.total_bytes, size.metadata_bytes

    return cache.get("stored_bytes", (mask.key, fmt, bits, nm), compute)


@functools.lru_cache(maxsize=1024)
def _act_stored_bytes(rows: int, cols: int, density: float, fmt: str, bits: int) -> tuple[int, int]:
    """(stored bytes, metadata bytes) of an activation tensor (rows × cols, e.g. channels × positions)
    whose elements are nonzero with probability ``density`` (a random mask, fixed seed), in ``fmt``."""
    rng = np.random.default_rng([MASK_SEED, zlib.crc32(f"{rows}x{cols}".encode())])
    mask = (rng.random((1, rows, cols)) < density)
    size = kernels.compressed_sizes(mask, bits)[fmt]
    return size.total_bytes, size.metadata_bytes


# ---- the plan --------------------------------------------------------------------------------------
LANE_KEYS = ("stream_cycles", "fold_pairs", "out_row_folds", "mapping_efficiency")  # LaneProfile → SPARSE_KEYS


@dataclass(frozen=True)
class SparsePlan:
    columns: Mapping[str, float]  # sparse columns of the systolic model (SPARSE_KEYS)
    macs: int
    effectual_macs: int
    executed_macs: int
    gated_macs: int
    filter_metadata_fraction: float  # metadata share of the stored filter bytes
    ifmap_metadata_fraction: float
    source: str
    details: Mapping[str, Any] = field(default_factory=dict)
    run_mode: str = "dense"  # WeightRun.mode: dense | nm | lanes
    mask: MaskSource | None = None  # the mask the lanes read (masks.layer_mask), lane skipping only
    act_density: float = 1.0  # activation density the PEs see (dual-side sparse arrays)

    @property
    def skipped_macs(self) -> int:
        return self.macs - self.executed_macs

    @property
    def ideal_speedup(self) -> float:
        """Dense MACs over the MACs a skipping array must run: the speedup of a perfect, overhead-free
        array (1/density for weight sparsity); 1.0 where nothing is skipped."""
        return self.macs / max(self.effectual_macs, 1) if self.executed_macs < self.macs else 1.0


def sparse_array(spec: Any) -> bool:
    return spec.sparsity != SparseFeatures() or spec.dual_side_sparse


def reads_masks(spec: Any) -> bool:
    """Does the array read the weight masks themselves (lane skipping, bitmap/CSR/RLE sizes), not only
    their density? Then a statistical layer's stand-in mask, drawn per layer name, matters."""
    return spec.sparsity.skipping == "unstructured" or spec.sparsity.compressed_format in ("bitmap", "csr", "rle")


def weights_plan(layer: Layer, spec: Any, L: Mapping[str, Any], cache: EvalCache) -> SparsePlan | None:
    """The plan of :func:`plan_layer` without its lane columns: all that depends on the layer and on
    ``spec``'s sparse features alone (``sparsity``, ``dual_side_sparse``, ``unsupported_pattern``), not
    on the array's shape, SRAM or timing. Lane skipping adds the lane profile of each design
    (systolic_sparse_batch.lane_profiles)."""
    sp = layer.weight_sparsity
    dense_layer = not layer.has_weights or (sp.is_dense and sp.mask is None)
    if not sparse_array(spec) and dense_layer:
        return None
    if layer.has_weights and sp.mask is not None:
        layer_mask(layer)  # checks the mask's shape before anything reads it
    feats = spec.sparsity
    act_d = layer.act_density if spec.dual_side_sparse else 1.0
    run = weight_run(layer, spec)
    g, m, n, k = int(L["G"]), int(L["M"]), int(L["N"]), int(L["K"])
    macs = g * m * n * k
    mask = None
    needs_mask = not dense_layer and (run.mode == "lanes" or feats.compressed_format in ("bitmap", "csr", "rle")
                                      or sp.mask is not None)
    if run.mode == "lanes" and dense_layer:  # dense weights, zero activations skipped
        mask = ones_mask(layer)
    elif needs_mask:
        mask = layer_mask(layer)
    if dense_layer:
        weight_nnz = g * n * k
    elif mask is not None:
        weight_nnz = mask.nonzeros(cache)
    else:
        weight_nnz = round(sp.density * g * n * k)
    effectual = round(weight_nnz * m * act_d)

    columns: dict[str, float] = {}
    details: dict[str, Any] = {"weight_pattern": sp.label if layer.has_weights else "none (activations)",
                               "weight_run": run.note, "skipping": feats.skipping, "zero_gating": feats.zero_gating,
                               "act_density": act_d, "array_k": run.array_k}
    if run.mode == "nm":
        columns["array_k"] = run.array_k
        executed = g * m * n * run.array_k
        details["nm_pattern"] = f"{run.n}:{run.m}"
    elif run.mode == "lanes":
        executed = effectual
    else:
        executed = macs
    if executed != macs:
        columns["executed_macs"] = executed

    # Storage of the operands (filter: weights; ifmap: activations, dual-side only).
    w_bits = layer.weight_bits if layer.has_weights else layer.act_bits
    dense_w_bytes = math.ceil(g * n * k * w_bits / 8)
    stored_w, meta_w, fmt_w = dense_w_bytes, 0, "dense"
    fmt = feats.compressed_format
    if layer.has_weights and not dense_layer and fmt != "none":
        if fmt == "nm" and run.mode == "nm":
            if mask is not None:
                stored, meta = _weight_stored_bytes(mask, "nm", w_bits, (run.n, run.m), cache)
            else:  # the kernels' N:M size formula: N value slots and ⌈log2 M⌉ index bits per slot
                slots = g * n * run.array_k
                meta = math.ceil(slots * max(1, math.ceil(math.log2(max(run.m, 2)))) / 8)
                stored = math.ceil(slots * w_bits / 8) + meta
        elif fmt != "nm":
            stored, meta = _weight_stored_bytes(mask, fmt, w_bits, None, cache)
        else:
            stored = meta = None
        if stored is not None and stored < dense_w_bytes:
            stored_w, meta_w, fmt_w = stored, meta, fmt
    if fmt_w != "dense":  # bytes per array element: the stored tensor spread over the slots the array walks
        columns["filter_bytes_scale"] = stored_w / (g * n * run.array_k * w_bits / 8)
    elif run.array_k != k:  # dense storage, N:M run: every dense weight is read to pick the kept ones
        columns["filter_bytes_scale"] = k / run.array_k
    details.update(filter_format=fmt_w, filter_stored_bytes=stored_w, filter_dense_bytes=dense_w_bytes)

    meta_a_frac, fmt_a = 0.0, "dense"
    if act_d < 1.0 and fmt in ("bitmap", "csr", "rle"):
        rows_a, cols_a = layer.batch * layer.in_channels, layer.in_h * layer.in_w
        stored_a, meta_a = _act_stored_bytes(rows_a, cols_a, round(act_d, 6), fmt, layer.act_bits)
        dense_a = math.ceil(rows_a * cols_a * layer.act_bits / 8)
        if stored_a < dense_a:
            columns["ifmap_bytes_scale"] = stored_a / dense_a
            meta_a_frac, fmt_a = (meta_a / stored_a if stored_a else 0.0), fmt  # all-zero tensor: nothing stored
    details["ifmap_format"] = fmt_a

    weight_src = "dense" if dense_layer else ("mask" if sp.mask is not None else "statistical")
    stat = weight_src == "statistical" or act_d < 1.0
    source = "statistical" if stat else ("mask" if weight_src == "mask" else "dense")
    details.update(weight_source=weight_src, activation_source="statistical" if act_d < 1.0 else "dense")
    gated = executed - effectual if feats.zero_gating else 0
    return SparsePlan(columns=columns, macs=macs, effectual_macs=effectual, executed_macs=executed, gated_macs=gated,
                      filter_metadata_fraction=meta_w / stored_w if stored_w else 0.0,
                      ifmap_metadata_fraction=meta_a_frac, source=source, details=details, run_mode=run.mode,
                      mask=mask if run.mode == "lanes" else None, act_density=act_d)


def mac_actions(plan: SparsePlan | None, macs: int, mac_bits: int) -> dict[str, float]:
    """MAC actions of a run: executed MAC slots at full energy, gated ones (when gating) apart."""
    if plan is None:
        return {f"mac:int{mac_bits}": float(macs)}
    out = {f"mac:int{mac_bits}": float(plan.executed_macs - plan.gated_macs)}
    if plan.details.get("zero_gating"):
        out[f"mac_gated:int{mac_bits}"] = float(plan.gated_macs)
    return out


def metadata_bytes(plan: SparsePlan | None, dram_ifmap_bytes: float, dram_filter_bytes: float) -> int:
    """Metadata moved from DRAM: the metadata share of each compressed operand's DRAM reads."""
    if plan is None:
        return 0
    return int(round(plan.ifmap_metadata_fraction * float(dram_ifmap_bytes)
                     + plan.filter_metadata_fraction * float(dram_filter_bytes)))
