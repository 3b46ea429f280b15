"""The sparse systolic model over many designs at once: layers × designs in one call of the systolic
model (cosim/datapaths/systolic/model.py ``evaluate_batch``), with the sparse columns (SPARSE_KEYS)
and MAC accounting that ``systolic_sparse.plan_layer`` gives each (layer, design) pair, so that every
number equals ``simulate_layer``'s.

A plan has two parts (cosim/datapaths/systolic/sparse.py):

* the weights part (``weights_plan``: how the weights run, N:M slots, compressed sizes, effectual,
  gated and executed MACs) depends on the layer and on the array's sparse features alone, so it is
  planned once per layer and distinct feature set, and kept per process: a sweep meets the same layers
  chunk after chunk;
* the lane part (unstructured skipping) depends on the array's shape and dataflow and on how the
  stream is chunked; :func:`lane_profiles` finds each design's profile among the distinct (shape,
  dataflow, chunk) of a chunk of designs, and ``systolic_sparse.lane_profile`` computes each once per
  process (cached per mask, array shape, dataflow and chunk).

``simulate_layer`` uses :func:`lane_profiles` for its one design, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from cosim.cache import EvalCache
from cosim.datapaths.systolic import sparse as ss
from cosim.datapaths.systolic.masks import LaneProfile, lane_profile
from cosim.datapaths.systolic.model import SPARSE_KEYS, evaluate_batch, stream_chunks
from cosim.errors import CosimError
from cosim.graph import Layer
from cosim.perf import SOURCE_CODE
from cosim.walk import layer_key

# Layer columns a plan reads (cosim.datapaths.systolic.tiling.layer_arrays); integer sparse columns stay integers.
PLAN_KEYS = ("G", "M", "N", "K", "ifmap_unique", "ifmap_halo", "ifmap_valid", "act_bits", "weight_bits", "out_bits")
INT_KEYS = ("array_k", "fold_pairs", "out_row_folds", "stream_cycles", "executed_macs")


def lane_profiles(plan: ss.SparsePlan, L: Mapping[str, Any], D: Mapping[str, np.ndarray], cache: EvalCache
                  ) -> tuple[list[LaneProfile], np.ndarray]:
    """The lane profile of a lane-skipping ``plan`` on each design of ``D`` (1-D arrays of
    systolic_batch.design_arrays, one entry per design): (distinct profiles, each design's index in
    them). A profile depends on the array's shape and dataflow and, where the stream is cut into
    chunks (is; ws skipping zero activations), on the chunk length that the SRAM and timing give
    (systolic_batch.stream_chunks, on the compacted folds for ws)."""
    rows, cols, df = (np.asarray(D[key]).reshape(-1) for key in ("rows", "cols", "dataflow"))
    m, act_d, mask = int(L["M"]), plan.act_density, plan.mask
    chunk = np.ones(rows.shape, dtype=np.int64)
    ws = df == 1
    compacted: dict[str, np.ndarray] = {}
    if ws.any():  # compacted ws folds decide the chunking of the stream
        compacted = {"fold_pairs": np.full(rows.shape, -1, np.int64), "out_row_folds": np.full(rows.shape, -1, np.int64)}
        for r, c in set(zip(rows[ws].tolist(), cols[ws].tolist())):
            prof = lane_profile(mask, m, r, c, 1, 1, 1.0, cache)
            where = ws & (rows == r) & (cols == c)
            compacted["fold_pairs"][where] = prof.fold_pairs
            compacted["out_row_folds"][where] = prof.out_row_folds
    # The chunk length matters to is lanes, and to ws PEs skipping zero activations chunk by chunk.
    chunked = (df == 2) | (ws & (act_d < 1.0))
    if chunked.any():
        Lc = {**L, **plan.columns, **{k: v[chunked] for k, v in compacted.items()}}
        _, chunk[chunked] = stream_chunks(Lc, {k: np.asarray(v).reshape(-1)[chunked] for k, v in D.items()})
    index, first = _distinct_rows(rows, cols, df, chunk)
    profiles = [lane_profile(mask, m, int(rows[j]), int(cols[j]), int(df[j]), int(chunk[j]),
                             act_d if df[j] != 2 else 1.0, cache) for j in first]
    return profiles, index


def _distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each row's distinct value tuple, the first row of each tuple) over 1-D int columns
    (np.unique per column, then one on the combined ranks: faster than np.unique(axis=0))."""
    combined = np.zeros(columns[0].shape, dtype=np.int64)
    for c in columns:  # ranks stay below the row count, so the mixed radix cannot overflow
        values, rank = np.unique(c, return_inverse=True)
        values, combined = np.unique(combined * len(values) + rank.reshape(-1), return_inverse=True)
    _, first = np.unique(combined, return_index=True)
    return combined.reshape(-1), first


@dataclass(frozen=True)
class SparseColumns:
    """What the sparse features change, layers × designs."""

    columns: dict[str, np.ndarray]  # the SPARSE_KEYS some pair uses (−1: as dense)
    effectual_macs: np.ndarray
    executed_macs: np.ndarray
    gated_macs: np.ndarray
    ifmap_metadata_fraction: np.ndarray
    filter_metadata_fraction: np.ndarray
    source: np.ndarray  # int8 codes of cosim.perf.SOURCES
    errors: tuple  # per design: (layer index, message) of its first layer the array refuses, or None


def feature_signature(spec: Any) -> tuple:
    """What a weights plan reads from a spec (designs that share it share weights plans)."""
    return (spec.sparsity, spec.dual_side_sparse, spec.unsupported_pattern,
            spec.name if spec.unsupported_pattern == "error" else "")


def weights_plan(layer: Layer, spec: Any, signature: tuple, L: Mapping[str, Any], cache: EvalCache):
    """``systolic.sparse.weights_plan`` (or the CosimError it raises), cached per layer value and name
    (a refusal names the layer) and feature signature."""
    def compute():
        try:
            return ss.weights_plan(layer, spec, L, cache)
        except CosimError as e:
            return e

    return cache.get("weights_plan", (layer.name, layer_key(layer), signature), compute)


def sparse_columns(layers: Sequence[Layer], feature_groups: Sequence[tuple[Any, np.ndarray]],
                   cols: Mapping[str, np.ndarray], designs: Mapping[str, np.ndarray], cache: EvalCache) -> SparseColumns:
    """The sparse columns and MAC accounting of compute ``layers`` × systolic designs. ``feature_groups``:
    (a spec of the group, the group's design indices) per distinct feature signature (designs of a
    group share weights plans); ``cols``, ``designs``: the layers' and designs' model columns.
    A plan the array refuses (a pattern it cannot skip under ``unsupported_pattern: error``, a
    mask of the wrong shape) leaves that pair dense and is reported in ``errors``."""
    nl, nd = len(layers), len(designs["rows"])
    columns = {key: np.full((nl, nd), -1, dtype=np.int64 if key in INT_KEYS else np.float64) for key in SPARSE_KEYS}
    macs = (np.asarray(cols["G"]) * cols["M"] * cols["N"] * cols["K"]).astype(np.int64)
    effectual = np.repeat(macs[:, None], nd, axis=1)
    executed = effectual.copy()
    gated = np.zeros((nl, nd), dtype=np.int64)
    meta_i, meta_f = np.zeros((nl, nd)), np.zeros((nl, nd))
    source = np.repeat(np.array([SOURCE_CODE[l.weight_sparsity.source] for l in layers], dtype=np.int8)[:, None],
                       nd, axis=1)
    errors: list[tuple[int, str] | None] = [None] * nd
    groups = [(spec, feature_signature(spec), js, slice(None) if len(js) == nd else js) for spec, js in feature_groups]
    for i, layer in enumerate(layers):
        L = {key: cols[key][i] for key in PLAN_KEYS}
        for spec, sig, js, at in groups:
            plan = weights_plan(layer, spec, sig, L, cache)
            if plan is None:
                continue
            if isinstance(plan, CosimError):
                for j in js:
                    errors[j] = errors[j] or (i, str(plan))
                continue
            for key, v in plan.columns.items():
                columns[key][i, at] = v
            effectual[i, at], executed[i, at], gated[i, at] = plan.effectual_macs, plan.executed_macs, plan.gated_macs
            meta_i[i, at], meta_f[i, at] = plan.ifmap_metadata_fraction, plan.filter_metadata_fraction
            source[i, at] = SOURCE_CODE[plan.source]
            if plan.run_mode == "lanes":
                profiles, index = lane_profiles(plan, L, {k: v[at] for k, v in designs.items()}, cache)
                for key in ss.LANE_KEYS:
                    columns[key][i, at] = np.array([getattr(p, key) for p in profiles])[index]
    used = {key: v for key, v in columns.items() if (v >= 0).any()}
    return SparseColumns(used, effectual, executed, gated, meta_i, meta_f, source, tuple(errors))


def evaluate_columns(cols: Mapping[str, Any], designs: Mapping[str, np.ndarray], sc: SparseColumns
                     ) -> dict[str, np.ndarray]:
    """``evaluate_batch`` of the layers ``cols`` × ``designs`` with the sparse columns ``sc``, plus the
    MAC accounting of each pair (effectual, executed, skipped and gated MACs, the mac / mac_gated action
    counts) and the metadata bytes moved from DRAM (systolic_sparse.mac_actions, metadata_bytes)."""
    out = dict(evaluate_batch({**cols, **sc.columns}, designs))
    out.update(effectual_macs=sc.effectual_macs, executed_macs=sc.executed_macs, gated_macs=sc.gated_macs,
               skipped_macs=out["macs"] - sc.executed_macs, mac_actions=sc.executed_macs - sc.gated_macs,
               mac_gated_actions=sc.gated_macs)
    out["metadata_bytes"] = np.round(sc.ifmap_metadata_fraction * out["dram_ifmap_read_bytes"]
                                     + sc.filter_metadata_fraction * out["dram_filter_read_bytes"]).astype(np.int64)
    return out
