"""Weight masks as the systolic datapath reads them, and the lane work they cause on an
unstructured-skipping array (cosim/datapaths/systolic/sparse.py explains the lanes per dataflow).

A layer's mask is its own where it has one, else cosim.sparsity.synthesize_mask's stand-in with seed
:data:`MASK_SEED`. Masks, their nonzero counts and lane profiles live in the evaluation cache
(cosim/cache.py) under value keys: a real mask by its content digest, a stand-in by the layer name,
shape and pattern it is drawn from.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from cosim import kernels
from cosim.cache import EvalCache
from cosim.datapaths.systolic import tiling as mp
from cosim.errors import require
from cosim.graph import Layer
from cosim.sparsity import expected_max_binomial, synthesize_mask

MASK_SEED = 0  # statistical stand-in masks: cosim.sparsity.synthesize_mask(layer, seed=MASK_SEED)


@dataclass(frozen=True)
class MaskSource:
    """The (groups, N, K) weight mask of a layer, by value key; the array is made on demand."""

    key: tuple
    layer: Layer

    def array(self, cache: EvalCache) -> np.ndarray:
        return cache.get("mask", self.key, self._make)

    def _make(self) -> np.ndarray:
        sp = self.layer.weight_sparsity
        if self.key[0] == "ones":
            return np.ones(self.key[1], dtype=bool)
        return np.asarray(sp.mask != 0) if sp.mask is not None else synthesize_mask(self.layer, seed=MASK_SEED)

    def nonzeros(self, cache: EvalCache) -> int:
        return cache.get("mask_nonzeros", self.key, lambda: int(np.count_nonzero(self.array(cache))))


def layer_mask(layer: Layer) -> MaskSource:
    """The weight mask of ``layer``: its own, else a synthesized stand-in (checks the mask's shape)."""
    sp = layer.weight_sparsity
    shape = (layer.groups, layer.gemm_n, layer.gemm_k)
    if sp.mask is not None:
        require(tuple(sp.mask.shape) == shape, f"layer '{layer.name}': weight mask shape {tuple(sp.mask.shape)} does "
                                               f"not match the layer's (groups, N, K) = {shape}; prune the layer as built")
        return MaskSource(("mask", shape, sp.mask_digest), layer)
    return MaskSource(("synth", layer.name, shape, sp.kind, sp.density, sp.n, sp.m, sp.block_h, sp.block_w,
                       MASK_SEED), layer)


def ones_mask(layer: Layer) -> MaskSource:
    """An all-kept mask of the layer's shape (dense weights whose activation zeros are skipped)."""
    return MaskSource(("ones", (layer.groups, layer.gemm_n, layer.gemm_k)), layer)


# ---- lanes -----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=65536)
def _emax(trials: int, p: float, lanes: int) -> float:
    return expected_max_binomial(int(trials), float(p), int(lanes))


@dataclass(frozen=True)
class LaneProfile:
    """What the lanes of an unstructured-skipping array need for one layer (all groups); -1 = dense."""

    stream_cycles: int
    fold_pairs: int
    out_row_folds: int
    mapping_efficiency: float
    busiest_sum: float  # Σ over folds of the busiest lane's nonzeros
    mean_sum: float  # Σ over folds of the mean lane's nonzeros (perfect balance)
    lane_max_nonzeros: int  # the busiest lane of any fold

    @property
    def load_imbalance(self) -> float:
        return self.busiest_sum / self.mean_sum if self.mean_sum > 0 else 1.0


def _split(total: int, size: int) -> list[tuple[int, int]]:
    """(count, length) of the pieces cutting ``total`` into pieces of ``size`` (last one shorter)."""
    full, rest = divmod(total, size)
    return [(c, s) for c, s in ((full, size), (1, rest)) if c and s]


def lane_profile(source: MaskSource, m: int, rows: int, cols: int, dataflow: int, chunk: int,
                 act_density: float, cache: EvalCache) -> LaneProfile:
    """Lane work of the mask ``source`` on an R × C array (cosim/datapaths/systolic/sparse.py's
    docstring), cached per (mask, M, array shape, dataflow, chunk, activation density).
    ``m``: GEMM M per group; ``chunk``: stream cycles per chunk of an is/ws fold (model.stream_chunks);
    ``act_density`` < 1: PEs also skip zero activations (os, ws)."""
    key = (source.key, m, rows, cols, dataflow, chunk, act_density)
    return cache.get("lane_profile", key,
                     lambda: _lane_profile(source.array(cache), m, rows, cols, dataflow, chunk, act_density))


def _lane_profile(mask: np.ndarray, m: int, rows: int, cols: int, dataflow: int, chunk: int,
                  act_density: float) -> LaneProfile:
    g, n, k = mask.shape
    if dataflow in (0, 1):  # column lanes: one filter each, over all of K
        st = kernels.fold_lane_stats(mask, tile_n=cols, tile_k=k, lanes="n")
        kmax, tot, lanes = st.max_lane[:, :, 0].astype(np.int64), st.total[:, :, 0], st.lanes[:, :, 0]
        mean_sum = float(np.sum(tot / lanes))
        peak = int(kmax.max()) if kmax.size else 0
        if dataflow == 0:
            row_pieces = _split(m, rows)
            if act_density < 1.0:
                stream = sum(cnt * _emax(int(w), act_density, r * int(c))
                             for w, c in zip(kmax.ravel(), lanes.ravel()) for cnt, r in row_pieces)
            else:
                stream = mp.ceil_div(m, rows) * int(kmax.sum())
            rf = mp.ceil_div(m, rows)
            return LaneProfile(math.ceil(stream - 1e-9), -1, -1, -1.0, float(rf * kmax.sum()), rf * mean_sum, peak)
        rfs = np.maximum(mp.ceil_div(kmax, rows), 1)  # ws: compacted row folds per column fold
        pairs = int(rfs.sum())
        stream = -1
        if act_density < 1.0:
            chunks = _split(m, chunk)
            total = 0.0
            for w, c, r in zip(kmax.ravel(), lanes.ravel(), rfs.ravel()):
                used = [(int(r) - 1, rows), (1, max(int(w) - (int(r) - 1) * rows, 1))]  # rows holding weights
                total += sum(pc * cc * _emax(length, act_density, pr * int(c))
                             for pc, pr in used if pc for cc, length in chunks)
            stream = math.ceil(total - 1e-9)
        return LaneProfile(stream, pairs, int((lanes * rfs).sum()), float(tot.sum()) / (pairs * rows * cols),
                           float(kmax.sum()), mean_sum, peak)
    # is: row lanes, one reduction index each, over the fold's chunk of N
    st = kernels.fold_lane_stats(mask, tile_n=chunk, tile_k=rows, lanes="k")
    cf = mp.ceil_div(m, cols)
    busiest = int(st.max_lane.astype(np.int64).sum())
    return LaneProfile(cf * busiest, -1, -1, -1.0, float(cf * busiest), cf * float(np.sum(st.total / st.lanes)),
                       int(st.max_lane.max()) if st.max_lane.size else 0)


