"""Lane and tile nonzero counts of weight masks — what each lane of an array streams per fold, for load
imbalance — for one mask or, in one kernel call, for a whole network's list of masks (``*_batch``).

Tiling convention: a fold covers ``tile_n`` consecutive rows (filters) × ``tile_k`` consecutive
columns (reduction elements); edge folds are smaller. Lanes ``"n"`` are the fold's rows (one filter
per lane: a lane's work is that filter's nonzeros inside the fold's K range); lanes ``"k"`` are its
columns (one reduction index per lane). On a weight-stationary R×C array with K on the rows and N on
the columns, ``tile_k = R``, ``tile_n = C`` and a column of PEs is an ``"n"`` lane.

The kernels stream the mask once, at close to the machine's read bandwidth (scripts/bench_kernels.py):
row counts add 8 mask bytes per uint64 word and total the byte lanes with one multiply
(cosim.kernels.layout); column counts add whole rows as byte vectors (up to 255 rows per byte
accumulator before it is flushed).
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

import cosim.kernels as _settings  # PARALLEL, PARALLEL_MIN_BYTES: set on the package
from cosim.errors import CosimError
from cosim.kernels.layout import (MUL_MAX_WORDS, as_mask, batch_layout, check_tile, mul_byte_sum, u8_ptr,
                                  u64_ptr)


def _parallel(nbytes: int) -> bool:
    return _settings.PARALLEL and nbytes >= _settings.PARALLEL_MIN_BYTES and numba.get_num_threads() > 1


def _word_path(k: int, tile_k: int, address: int) -> bool:
    """Rows of whole, aligned words and tiles of whole words: the uint64 (SWAR) row path applies."""
    return k % 8 == 0 and tile_k % 8 == 0 and address % 8 == 0


# ---- per-row (lane "n") counts ------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _long_word_sum(words, lo, hi):
    """Mask bytes set in words[lo:hi], any length: multiply-shift totals of 31-word chunks."""
    c = np.int64(0)
    for c0 in range(lo, hi, MUL_MAX_WORDS):
        acc = np.uint64(0)
        for j in range(c0, min(c0 + MUL_MAX_WORDS, hi)):
            acc += words[j]
        c += mul_byte_sum(acc)
    return c


@njit(cache=True, inline="always")
def _word_tiles(words, tw, out):
    """Counts of consecutive tiles of ``tw`` words of ``words`` into ``out`` (ceil(len / tw) entries; the
    last tile may be short). The common tile widths get loops with a constant trip count, which the
    compiler unrolls and vectorises; a runtime-width inner loop runs ~2x slower."""
    w_count = words.shape[0]
    full = w_count // tw
    if tw == 4:
        for t in range(full):
            b = 4 * t
            out[t] = mul_byte_sum(words[b] + words[b + 1] + words[b + 2] + words[b + 3])
    elif tw == 1:
        for t in range(full):
            out[t] = mul_byte_sum(words[t])
    elif tw == 2:
        for t in range(full):
            out[t] = mul_byte_sum(words[2 * t] + words[2 * t + 1])
    elif tw == 8:
        for t in range(full):
            b = 8 * t
            out[t] = mul_byte_sum(words[b] + words[b + 1] + words[b + 2] + words[b + 3]
                                  + words[b + 4] + words[b + 5] + words[b + 6] + words[b + 7])
    elif tw <= MUL_MAX_WORDS:
        for t in range(full):
            acc = np.uint64(0)
            for j in range(t * tw, (t + 1) * tw):
                acc += words[j]
            out[t] = mul_byte_sum(acc)
    else:
        for t in range(full):
            out[t] = _long_word_sum(words, t * tw, (t + 1) * tw)
    if full < out.shape[0]:
        out[full] = _long_word_sum(words, full * tw, w_count)


@njit(cache=True)
def _row_words_into(words, w_count, tw, out):
    """Row counts from the uint64 view of the (rows, K) mask, ``w_count`` = K / 8 words per row, tiles of
    ``tw`` words, into flat int32 ``out`` (rows × ceil(w_count / tw)). When tiles divide the rows, no tile
    straddles two rows and the whole mask is one run of tiles."""
    if words.shape[0] == 0:
        return
    if w_count % tw == 0:
        _word_tiles(words, tw, out)
        return
    tk = (w_count + tw - 1) // tw
    for r in range(words.shape[0] // w_count):
        _word_tiles(words[r * w_count:(r + 1) * w_count], tw, out[r * tk:(r + 1) * tk])


@njit(cache=True, parallel=True)
def _row_words_par(words, w_count, tw, out):
    if words.shape[0] == 0:
        return
    tk = (w_count + tw - 1) // tw
    for r in prange(words.shape[0] // w_count):
        _word_tiles(words[r * w_count:(r + 1) * w_count], tw, out[r * tk:(r + 1) * tk])


@njit(cache=True, inline="always")
def _byte_tiles(row, tile_k, out):
    """Counts per tile of ``tile_k`` bytes of one row, byte by byte (any K, tile and alignment)."""
    k_count = row.shape[0]
    for t in range(out.shape[0]):
        c = np.int64(0)
        for k in range(t * tile_k, min((t + 1) * tile_k, k_count)):
            c += row[k]
        out[t] = c


@njit(cache=True)
def _row_bytes_into(flat, k_count, tile_k, out):
    """Row counts of the flat uint8 (rows × K) mask into flat int32 ``out``, byte by byte."""
    if flat.shape[0] == 0:
        return
    tk = (k_count + tile_k - 1) // tile_k
    for r in range(flat.shape[0] // k_count):
        _byte_tiles(flat[r * k_count:(r + 1) * k_count], tile_k, out[r * tk:(r + 1) * tk])


@njit(cache=True, parallel=True)
def _row_bytes_par(flat, k_count, tile_k, out):
    if flat.shape[0] == 0:
        return
    tk = (k_count + tile_k - 1) // tile_k
    for r in prange(flat.shape[0] // k_count):
        _byte_tiles(flat[r * k_count:(r + 1) * k_count], tile_k, out[r * tk:(r + 1) * tk])


def _row_counts(m: np.ndarray, tile_k: int) -> np.ndarray:
    """row_lane_counts of a normalised (uint8, C-contiguous) mask."""
    g, n, k = m.shape
    out = np.empty((g, n, -(-k // tile_k)), np.int32)
    flat, flat_out = m.reshape(-1), out.reshape(-1)
    big = _parallel(m.nbytes)
    if _word_path(k, tile_k, m.ctypes.data):
        (_row_words_par if big else _row_words_into)(flat.view(np.uint64), k // 8, tile_k // 8, flat_out)
    else:
        (_row_bytes_par if big else _row_bytes_into)(flat, k, tile_k, flat_out)
    return out


# ---- per-column (lane "k") and per-tile counts ------------------------------------------------------------
# A tile's rows are added as byte vectors into a uint8 accumulator of K lanes (32 byte adds per AVX2
# instruction); every 255 rows, and at the end of the tile, the accumulator is flushed into the int32
# column counts or, for tile counts, summed per K-tile straight into the int64 tile totals (no
# per-column intermediate).
@njit(cache=True, inline="always")
def _add_rows(m2, r0, r1, acc):
    """acc[k] += m2[r, k] for r in r0..r1-1 (at most 255 rows: no byte lane overflows)."""
    k_count = acc.shape[0]
    for r in range(r0, r1):
        row = m2[r]
        for k in range(k_count):
            acc[k] += row[k]


@njit(cache=True, inline="always")
def _col_tile(m2, r0, r1, acc, counts):
    """Per-column counts of rows r0..r1-1 of the (N, K) mask ``m2`` added into int32 ``counts``."""
    k_count = acc.shape[0]
    for b0 in range(r0, r1, 255):
        acc[:] = 0
        _add_rows(m2, b0, min(b0 + 255, r1), acc)
        for k in range(k_count):
            counts[k] += acc[k]


@njit(cache=True, inline="always")
def _fold_tile(m2, r0, r1, tile_k, acc, totals):
    """Nonzeros of rows r0..r1-1 of ``m2`` per K-tile of ``tile_k`` columns, added into int64 ``totals``."""
    k_count = acc.shape[0]
    for b0 in range(r0, r1, 255):
        acc[:] = 0
        _add_rows(m2, b0, min(b0 + 255, r1), acc)
        for t in range(totals.shape[0]):
            s = np.int64(0)
            for k in range(t * tile_k, min((t + 1) * tile_k, k_count)):
                s += acc[k]
            totals[t] += s


@njit(cache=True)
def _col_into(mask, tile_n, out, acc):
    """col_lane_counts of the (G, N, K) uint8 ``mask`` into zeroed int32 ``out`` (G, ceil(N / tile_n), K);
    ``acc``: uint8 scratch of K bytes."""
    g_count, n_count, _ = mask.shape
    for g in range(g_count):
        for t in range(out.shape[1]):
            _col_tile(mask[g], t * tile_n, min((t + 1) * tile_n, n_count), acc, out[g, t])


@njit(cache=True, parallel=True)
def _col_par(mask, tile_n, out):
    g_count, n_count, k_count = mask.shape
    tn = out.shape[1]
    for gt in prange(g_count * tn):
        g = gt // tn
        t = gt - g * tn
        acc = np.empty(k_count, np.uint8)
        _col_tile(mask[g], t * tile_n, min((t + 1) * tile_n, n_count), acc, out[g, t])


@njit(cache=True)
def _tile_into(mask, tile_n, tile_k, out, acc):
    """tile_nonzero_counts of the (G, N, K) uint8 ``mask`` into zeroed int64 ``out``."""
    g_count, n_count, _ = mask.shape
    for g in range(g_count):
        for t in range(out.shape[1]):
            _fold_tile(mask[g], t * tile_n, min((t + 1) * tile_n, n_count), tile_k, acc, out[g, t])


def _col_counts(m: np.ndarray, tile_n: int) -> np.ndarray:
    """col_lane_counts of a normalised mask."""
    g, n, k = m.shape
    out = np.zeros((g, -(-n // tile_n), k), np.int32)
    if _parallel(m.nbytes):
        _col_par(m, tile_n, out)
    else:
        _col_into(m, tile_n, out, np.empty(k, np.uint8))
    return out


def row_lane_counts(mask: np.ndarray, tile_k: int) -> np.ndarray:
    """Nonzeros of every row (filter) inside every K-tile: int32 (groups, N, ceil(K / tile_k))."""
    return _row_counts(as_mask(mask), check_tile("tile_k", tile_k))


def col_lane_counts(mask: np.ndarray, tile_n: int) -> np.ndarray:
    """Nonzeros of every column (reduction index) inside every N-tile: int32 (groups, ceil(N / tile_n), K)."""
    return _col_counts(as_mask(mask), check_tile("tile_n", tile_n))


def tile_nonzero_counts(mask: np.ndarray, tile_n: int, tile_k: int) -> np.ndarray:
    """Nonzeros per fold: int64 (groups, ceil(N / tile_n), ceil(K / tile_k))."""
    m = as_mask(mask)
    tile_n, tile_k = check_tile("tile_n", tile_n), check_tile("tile_k", tile_k)
    g, n, k = m.shape
    out = np.zeros((g, -(-n // tile_n), -(-k // tile_k)), np.int64)
    _tile_into(m, tile_n, tile_k, out, np.empty(k, np.uint8))
    return out


# ---- batches: a network's masks in one kernel call ---------------------------------------------------------
# One dispatch for the whole list: the masks travel as (address, groups, N, K) rows and the results
# land in one flat buffer, returned as one view per mask. Same results as the per-mask functions.
@njit(cache=True)
def _rows_batch(meta, tile_k, offsets, out):
    for i in range(meta.shape[0]):
        address, g, n, k = meta[i, 0], meta[i, 1], meta[i, 2], meta[i, 3]
        dst = out[offsets[i]:offsets[i + 1]]
        if g * n * k == 0:
            continue
        if k % 8 == 0 and tile_k % 8 == 0 and address % 8 == 0:
            _row_words_into(numba.carray(u64_ptr(address), g * n * k // 8), k // 8, tile_k // 8, dst)
        else:
            _row_bytes_into(numba.carray(u8_ptr(address), g * n * k), k, tile_k, dst)


@njit(cache=True)
def _cols_batch(meta, tile_n, offsets, out, acc):
    for i in range(meta.shape[0]):
        address, g, n, k = meta[i, 0], meta[i, 1], meta[i, 2], meta[i, 3]
        if g * n * k == 0:
            continue
        tn = (n + tile_n - 1) // tile_n
        dst = out[offsets[i]:offsets[i + 1]].reshape((g, tn, k))
        _col_into(numba.carray(u8_ptr(address), (g, n, k)), tile_n, dst, acc[:k])


@njit(cache=True)
def _tiles_batch(meta, tile_n, tile_k, offsets, out, acc):
    for i in range(meta.shape[0]):
        address, g, n, k = meta[i, 0], meta[i, 1], meta[i, 2], meta[i, 3]
        if g * n * k == 0:
            continue
        tn = (n + tile_n - 1) // tile_n
        dst = out[offsets[i]:offsets[i + 1]].reshape((g, tn, (k + tile_k - 1) // tile_k))
        _tile_into(numba.carray(u8_ptr(address), (g, n, k)), tile_n, tile_k, dst, acc[:k])


def _batch(masks, shape_of, dtype, run) -> list[np.ndarray]:
    """Lay out the results of ``masks`` (result shape per (g, n, k): ``shape_of``) in one zeroed flat
    buffer, call ``run(meta, offsets, out, scratch)`` once, and return one view per mask."""
    kept, meta = batch_layout(masks)
    shapes = [shape_of(g, n, k) for g, n, k in meta[:, 1:].tolist()]
    offsets = np.zeros(len(kept) + 1, np.int64)
    np.cumsum([a * b * c for a, b, c in shapes], out=offsets[1:])
    out = np.zeros(int(offsets[-1]), dtype)
    run(meta, offsets, out, np.empty(int(meta[:, 3].max(initial=0)), np.uint8))
    bounds = offsets.tolist()
    return [out[bounds[i]:bounds[i + 1]].reshape(s) for i, s in enumerate(shapes)]


def row_lane_counts_batch(masks, tile_k: int) -> list[np.ndarray]:
    """:func:`row_lane_counts` of every mask of ``masks`` (e.g. a network's layers), in one kernel call."""
    tile_k = check_tile("tile_k", tile_k)
    return _batch(masks, lambda g, n, k: (g, n, -(-k // tile_k)), np.int32,
                  lambda meta, off, out, acc: _rows_batch(meta, tile_k, off, out))


def col_lane_counts_batch(masks, tile_n: int) -> list[np.ndarray]:
    """:func:`col_lane_counts` of every mask of ``masks``, in one kernel call."""
    tile_n = check_tile("tile_n", tile_n)
    return _batch(masks, lambda g, n, k: (g, -(-n // tile_n), k), np.int32,
                  lambda meta, off, out, acc: _cols_batch(meta, tile_n, off, out, acc))


def tile_nonzero_counts_batch(masks, tile_n: int, tile_k: int) -> list[np.ndarray]:
    """:func:`tile_nonzero_counts` of every mask of ``masks``, in one kernel call."""
    tile_n, tile_k = check_tile("tile_n", tile_n), check_tile("tile_k", tile_k)
    return _batch(masks, lambda g, n, k: (g, -(-n // tile_n), -(-k // tile_k)), np.int64,
                  lambda meta, off, out, acc: _tiles_batch(meta, tile_n, tile_k, off, out, acc))


# ---- per-fold lane statistics -------------------------------------------------------------------------------
@njit(cache=True)
def _fold_max_total(counts, tile, axis):
    """Max and sum over consecutive blocks of ``tile`` entries along ``axis`` (1 or 2) of 3-D counts."""
    g_count, a, b = counts.shape
    if axis == 1:
        fa = (a + tile - 1) // tile
        mx = np.zeros((g_count, fa, b), np.int32)
        tot = np.zeros((g_count, fa, b), np.int64)
        for g in range(g_count):
            for f in range(fa):
                m_row = mx[g, f]
                t_row = tot[g, f]
                for i in range(f * tile, min((f + 1) * tile, a)):
                    c_row = counts[g, i]
                    for j in range(b):
                        v = c_row[j]
                        t_row[j] += v
                        m_row[j] = max(m_row[j], v)
    else:
        fb = (b + tile - 1) // tile
        mx = np.zeros((g_count, a, fb), np.int32)
        tot = np.zeros((g_count, a, fb), np.int64)
        for g in range(g_count):
            for i in range(a):
                c_row = counts[g, i]
                for f in range(fb):
                    hi = np.int32(0)
                    sm = np.int64(0)
                    for j in range(f * tile, min((f + 1) * tile, b)):
                        v = c_row[j]
                        sm += v
                        hi = max(hi, v)
                    mx[g, i, f] = hi
                    tot[g, i, f] = sm
    return mx, tot


class FoldLaneStats(NamedTuple):
    """Per fold (groups, folds_n, folds_k): the busiest lane's nonzeros, all nonzeros, lanes present."""

    max_lane: np.ndarray  # int32
    total: np.ndarray  # int64
    lanes: np.ndarray  # int64, lanes in the fold (edge folds have fewer)

    @property
    def imbalance(self) -> np.ndarray:
        """max lane / mean lane per fold (1.0 = perfectly balanced; folds without nonzeros → 1.0)."""
        safe_total = np.where(self.total > 0, self.total, 1)
        return np.where(self.total > 0, self.max_lane * self.lanes / safe_total, 1.0)


def fold_lane_stats(mask: np.ndarray, tile_n: int, tile_k: int, lanes: str = "n") -> FoldLaneStats:
    """Per-fold busiest-lane and total nonzeros for lanes along N (``"n"``: one filter per lane) or
    along K (``"k"``: one reduction index per lane). A fold's cycles on a zero-skipping array follow
    ``max_lane``; its useful work follows ``total``."""
    tile_n = check_tile("tile_n", tile_n)
    tile_k = check_tile("tile_k", tile_k)
    m = as_mask(mask)
    g, n, k = m.shape
    if lanes == "n":
        mx, tot = _fold_max_total(_row_counts(m, tile_k), tile_n, 1)
        sizes = np.minimum(tile_n, n - np.arange(0, n, tile_n))[:, None]
    elif lanes == "k":
        mx, tot = _fold_max_total(_col_counts(m, tile_n), tile_k, 2)
        sizes = np.minimum(tile_k, k - np.arange(0, k, tile_k))[None, :]
    else:
        raise CosimError(f"lanes must be 'n' (one filter per lane) or 'k' (one reduction index per lane), got {lanes!r}")
    return FoldLaneStats(mx, tot, np.broadcast_to(sizes.astype(np.int64), tot.shape).copy())
