"""Numba kernels over weight masks in the GEMM view: a (groups, N, K) boolean array per layer, one row
per filter (N), one column per reduction element (K).

* lane and tile nonzero counts — what each lane of an array streams per fold, for load imbalance;
* N:M validation, compression into values + in-group indices, decompression;
* compressed sizes in bytes of dense, bitmap, CSR, CSC, RLE and N:M encodings;
* sparse × dense products computed on the CSR and N:M encodings (functional checks that an encoding
  reproduces the dense product).

The public functions check and normalise their inputs (3-D, C-contiguous; masks as uint8 so the
kernels sum bytes) and call ``@njit(cache=True)`` kernels; the counting kernels also have opt-in
parallel drivers (``PARALLEL`` below). Numpy reference versions live in tests/test_kernels.py and
scripts/bench_kernels.py measures the speed-ups.

Tiling convention: a fold covers ``tile_n`` consecutive rows (filters) × ``tile_k`` consecutive
columns (reduction elements); edge folds are smaller. Lanes ``"n"`` are the fold's rows (one filter
per lane: a lane's work is that filter's nonzeros inside the fold's K range); lanes ``"k"`` are its
columns (one reduction index per lane). On a weight-stationary R×C array with K on the rows and N on
the columns, ``tile_k = R``, ``tile_n = C`` and a column of PEs is an ``"n"`` lane.
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

from cosim.errors import CosimError, require


# ---- input normalisation ---------------------------------------------------------------------------
def _as_mask(mask: np.ndarray) -> np.ndarray:
    """(groups, N, K) mask as a C-contiguous uint8 view (0/1 bytes)."""
    mask = np.asarray(mask)
    require(mask.ndim == 3, f"a weight mask must be (groups, N, K), got shape {mask.shape}")
    if mask.dtype != np.bool_:
        mask = mask != 0
    return np.ascontiguousarray(mask).view(np.uint8)


# The counting kernels have a serial form and a parallel driver (rows or tiles across numba threads).
# Parallel is opt-in (COSIM_PARALLEL_KERNELS=1, or set PARALLEL = True): on a dedicated multi-core
# machine it brings ~2x per extra core on large masks, but a fork-join launch waits for every thread,
# and on a shared or oversubscribed machine (CI, sweeps that already run one simulation per core) we
# measured single launches stalling for 10-200 ms behind other processes. Even when enabled, masks
# under PARALLEL_MIN_BYTES stay serial: launching the thread team costs ~40-70 µs, more than counting
# a 256x64 mask takes.
PARALLEL = os.environ.get("COSIM_PARALLEL_KERNELS", "0") not in ("", "0")
PARALLEL_MIN_BYTES = 1 << 20


def _parallel(nbytes: int) -> bool:
    return PARALLEL and nbytes >= PARALLEL_MIN_BYTES and numba.get_num_threads() > 1


def _check_tile(name: str, value: int) -> int:
    require(isinstance(value, (int, np.integer)) and value >= 1, f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


# ---- lane and tile counts ------------------------------------------------------------------------------
# Masks are 0/1 bytes, so eight of them summed as one uint64 keep each byte's count in its own byte lane
# (SWAR): up to 255 words add without a carry crossing lanes, and a horizontal add of the eight lanes
# gives the count. This reads 8 elements per add instead of 1 and is what makes the row counts fast.
_LO8 = np.uint64(0x00FF00FF00FF00FF)
_LO16 = np.uint64(0x0000FFFF0000FFFF)


@njit(cache=True, inline="always")
def _byte_lane_sum(acc):
    """Sum of the eight byte lanes of ``acc`` (each lane <= 255)."""
    s = (acc & _LO8) + ((acc >> np.uint64(8)) & _LO8)
    s = (s & _LO16) + ((s >> np.uint64(16)) & _LO16)
    s = s + (s >> np.uint64(32))
    return np.int64(s & np.uint64(0xFFFF))


@njit(cache=True, inline="always")
def _row_words(row, tile_words, out):
    """Counts per tile of ``tile_words`` words of one row (uint64 view of 0/1 bytes) into ``out``."""
    w_count = row.shape[0]
    full = w_count // tile_words
    if tile_words <= 255:
        for t in range(full):
            b = t * tile_words
            acc = np.uint64(0)
            for j in range(tile_words):
                acc += row[b + j]
            out[t] = _byte_lane_sum(acc)
        if full < out.shape[0]:
            acc = np.uint64(0)
            for j in range(full * tile_words, w_count):
                acc += row[j]
            out[full] = _byte_lane_sum(acc)
    else:  # long tiles: flush the byte lanes every 255 words
        for t in range(out.shape[0]):
            w1 = min((t + 1) * tile_words, w_count)
            c = np.int64(0)
            for c0 in range(t * tile_words, w1, 255):
                acc = np.uint64(0)
                for j in range(c0, min(c0 + 255, w1)):
                    acc += row[j]
                c += _byte_lane_sum(acc)
            out[t] = c


@njit(cache=True, inline="always")
def _row_bytes(row, tile_k, out):
    """Counts per tile of ``tile_k`` bytes of one row, byte by byte (any K and tile)."""
    k_count = row.shape[0]
    for t in range(out.shape[0]):
        c = 0
        for k in range(t * tile_k, min((t + 1) * tile_k, k_count)):
            c += row[k]
        out[t] = c


@njit(cache=True, inline="always")
def _col_tile(mask, g, t, tile_n, counts):
    """Per-column counts of N-tile ``t`` of group ``g``: byte accumulators over the tile's rows
    (vectorised byte adds), flushed into int32 ``counts`` every 255 rows."""
    n_count, k_count = mask.shape[1], mask.shape[2]
    acc = np.zeros(k_count, np.uint8)
    pending = 0
    for n in range(t * tile_n, min((t + 1) * tile_n, n_count)):
        row = mask[g, n]
        for k in range(k_count):
            acc[k] += row[k]
        pending += 1
        if pending == 255:
            for k in range(k_count):
                counts[k] += acc[k]
                acc[k] = 0
            pending = 0
    for k in range(k_count):
        counts[k] += acc[k]


# Each kernel has a parallel driver (rows or tiles across threads) and a serial twin for small masks.
@njit(cache=True, parallel=True)
def _row_words_par(words, tile_words):
    out = np.zeros((words.shape[0], (words.shape[1] + tile_words - 1) // tile_words), np.int32)
    for r in prange(words.shape[0]):
        _row_words(words[r], tile_words, out[r])
    return out


@njit(cache=True)
def _row_words_ser(words, tile_words):
    out = np.zeros((words.shape[0], (words.shape[1] + tile_words - 1) // tile_words), np.int32)
    for r in range(words.shape[0]):
        _row_words(words[r], tile_words, out[r])
    return out


@njit(cache=True, parallel=True)
def _row_bytes_par(mask, tile_k):
    out = np.zeros((mask.shape[0], (mask.shape[1] + tile_k - 1) // tile_k), np.int32)
    for r in prange(mask.shape[0]):
        _row_bytes(mask[r], tile_k, out[r])
    return out


@njit(cache=True)
def _row_bytes_ser(mask, tile_k):
    out = np.zeros((mask.shape[0], (mask.shape[1] + tile_k - 1) // tile_k), np.int32)
    for r in range(mask.shape[0]):
        _row_bytes(mask[r], tile_k, out[r])
    return out


@njit(cache=True, parallel=True)
def _col_par(mask, tile_n):
    g_count, n_count, k_count = mask.shape
    tn = (n_count + tile_n - 1) // tile_n
    out = np.zeros((g_count, tn, k_count), np.int32)
    for gt in prange(g_count * tn):
        g = gt // tn
        _col_tile(mask, g, gt - g * tn, tile_n, out[g, gt - g * tn])
    return out


@njit(cache=True)
def _col_ser(mask, tile_n):
    g_count, n_count, k_count = mask.shape
    tn = (n_count + tile_n - 1) // tile_n
    out = np.zeros((g_count, tn, k_count), np.int32)
    for g in range(g_count):
        for t in range(tn):
            _col_tile(mask, g, t, tile_n, out[g, t])
    return out


def _row_counts(m: np.ndarray, tile_k: int) -> np.ndarray:
    """row_lane_counts of a normalised (uint8, C-contiguous) mask."""
    g, n, k = m.shape
    flat = m.reshape(g * n, k)
    big = _parallel(flat.nbytes)
    if k % 8 == 0 and tile_k % 8 == 0 and flat.ctypes.data % 8 == 0 and flat.size:
        words = flat.view(np.uint64)
        out = _row_words_par(words, tile_k // 8) if big else _row_words_ser(words, tile_k // 8)
    else:
        out = _row_bytes_par(flat, tile_k) if big else _row_bytes_ser(flat, tile_k)
    return out.reshape(g, n, -1)


def _col_counts(m: np.ndarray, tile_n: int) -> np.ndarray:
    """col_lane_counts of a normalised mask."""
    return _col_par(m, tile_n) if _parallel(m.nbytes) else _col_ser(m, tile_n)


def row_lane_counts(mask: np.ndarray, tile_k: int) -> np.ndarray:
    """Nonzeros of every row (filter) inside every K-tile: int32 (groups, N, ceil(K / tile_k))."""
    return _row_counts(_as_mask(mask), _check_tile("tile_k", tile_k))


def col_lane_counts(mask: np.ndarray, tile_n: int) -> np.ndarray:
    """Nonzeros of every column (reduction index) inside every N-tile: int32 (groups, ceil(N / tile_n), K)."""
    return _col_counts(_as_mask(mask), _check_tile("tile_n", tile_n))


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


def tile_nonzero_counts(mask: np.ndarray, tile_n: int, tile_k: int) -> np.ndarray:
    """Nonzeros per fold: int64 (groups, ceil(N / tile_n), ceil(K / tile_k))."""
    cols = col_lane_counts(mask, tile_n)
    tile_k = _check_tile("tile_k", tile_k)
    return np.add.reduceat(cols, np.arange(0, cols.shape[2], tile_k), axis=2, dtype=np.int64)


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
    tile_n = _check_tile("tile_n", tile_n)
    tile_k = _check_tile("tile_k", tile_k)
    m = _as_mask(mask)
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


# ---- N:M validation, compression, decompression --------------------------------------------------
@njit(cache=True)
def _nm_first_bad_row(mask, n, m):
    """Flat row index (group·N + row) of the first row with an M-group holding more than n nonzeros, or -1."""
    g_count, n_count, k_count = mask.shape
    for gn in range(g_count * n_count):
        g = gn // n_count
        row = mask[g, gn - g * n_count]
        for k0 in range(0, k_count, m):
            c = 0
            for k in range(k0, min(k0 + m, k_count)):
                c += row[k]
            if c > n:
                return gn
    return -1


@njit(cache=True)
def _nm_first_bad_word(words, n, m):
    """Words path for M in (2, 4, 8) with rows of whole words: the groups of a word are its m-byte lanes;
    a shift-add tree leaves each lane's count in its low byte, and adding 127 − n sets bit 7 of exactly
    the lanes holding more than n. Returns the first flat word index with such a lane, or -1."""
    if m == 2:
        ones = np.uint64(0x0001000100010001)
    elif m == 4:
        ones = np.uint64(0x0000000100000001)
    else:
        ones = np.uint64(1)
    bias = ones * np.uint64(127 - n)
    high = ones * np.uint64(0x80)
    for i in range(words.size):
        s = words[i]
        s = (s & _LO8) + ((s >> np.uint64(8)) & _LO8)
        if m >= 4:
            s = (s & _LO16) + ((s >> np.uint64(16)) & _LO16)
        if m == 8:
            s = (s & np.uint64(0xFFFFFFFF)) + (s >> np.uint64(32))
        if (s + bias) & high:
            return i
    return -1


def first_nm_violation(mask: np.ndarray, n: int, m: int) -> tuple[int, int, int, int] | None:
    """The first (group, row, k_start, nonzeros) whose M-group along K holds more than N nonzeros, in
    (group, row, k) order; None when every group satisfies N:M. Groups start at k = 0, M, 2M, …; a
    trailing partial group is held to the same N."""
    require(1 <= n <= m, f"N:M needs 1 <= N <= M, got {n}:{m}")
    return _first_nm(_as_mask(mask), int(n), int(m))


def _first_nm(mm: np.ndarray, n: int, m: int) -> tuple[int, int, int, int] | None:
    """first_nm_violation of a normalised mask."""
    g_count, n_count, k = mm.shape
    if n == m or mm.size == 0:
        return None
    flat = mm.reshape(-1)
    if m in (2, 4, 8) and k % 8 == 0 and flat.ctypes.data % 8 == 0:
        w = _nm_first_bad_word(flat.view(np.uint64), int(n), int(m))
        if w < 0:
            return None
        gn = (8 * w) // k
    else:
        gn = _nm_first_bad_row(mm, int(n), int(m))
        if gn < 0:
            return None
    g, r = divmod(int(gn), n_count)
    row = mm[g, r]
    for k0 in range(0, k, m):
        c = int(row[k0:k0 + m].sum())
        if c > n:
            return g, r, k0, c
    raise AssertionError("unreachable: the scan found a violating row")


def check_nm(mask: np.ndarray, n: int, m: int, where: str = "weight mask") -> None:
    """Raise a one-line CosimError at the first group that breaks N:M."""
    require(1 <= n <= m, f"N:M needs 1 <= N <= M, got {n}:{m}")
    _check_nm(_as_mask(mask), int(n), int(m), where)


def _check_nm(mm: np.ndarray, n: int, m: int, where: str = "weight mask") -> None:
    v = _first_nm(mm, n, m)
    if v is not None:
        g, r, k0, c = v
        raise CosimError(f"{where} is not {n}:{m} sparse: group {g}, row {r}, columns {k0}..{k0 + m - 1} "
                         f"hold {c} nonzeros (at most {n} allowed)")


@njit(cache=True)
def _nm_compress(values, mask, n, m):
    g_count, n_count, k_count = mask.shape
    groups = (k_count + m - 1) // m
    vals = np.zeros((g_count, n_count, groups * n), values.dtype)
    idx = np.zeros((g_count, n_count, groups * n), np.uint8)
    for gn in range(g_count * n_count):
        g = gn // n_count
        r = gn - g * n_count
        for j in range(groups):
            k0 = j * m
            s = j * n
            # kept positions first, in ascending order ...
            for i in range(m):
                k = k0 + i
                if k < k_count and mask[g, r, k]:
                    vals[g, r, s] = values[g, r, k]
                    idx[g, r, s] = i
                    s += 1
            # ... then pad with the lowest unused in-group indices and zero values.
            i = 0
            while s < (j + 1) * n:
                k = k0 + i
                if not (k < k_count and mask[g, r, k]):
                    idx[g, r, s] = i
                    s += 1
                i += 1
    return vals, idx


class NMEncoding(NamedTuple):
    """N values per M-group along K, with each value's index inside its group (ceil(log2 M) bits)."""

    values: np.ndarray  # (groups, N_rows, ceil(K / m) · n)
    indices: np.ndarray  # uint8, same shape
    n: int
    m: int
    k: int  # dense K

    @property
    def index_bits(self) -> int:
        return max(1, math.ceil(math.log2(self.m)))


def nm_compress(mask: np.ndarray, n: int, m: int, values: np.ndarray | None = None) -> NMEncoding:
    """Compress ``values`` (default: the mask as 1.0) under an N:M ``mask``. Positions outside the mask
    are dropped; groups with fewer than N nonzeros are padded with zero values. The mask must be N:M."""
    require(1 <= n <= m <= 256, f"N:M needs 1 <= N <= M <= 256, got {n}:{m}")
    mm = _as_mask(mask)
    _check_nm(mm, int(n), int(m))
    if values is None:
        values = mm.astype(np.float64)
    values = np.ascontiguousarray(values)
    require(values.shape == mm.shape, f"values shape {values.shape} does not match the mask's {mm.shape}")
    vals, idx = _nm_compress(values, mm, int(n), int(m))
    return NMEncoding(vals, idx, int(n), int(m), mm.shape[2])


@njit(cache=True)
def _nm_decompress(vals, idx, n, m, k_count):
    g_count, n_count, slots = vals.shape
    out = np.zeros((g_count, n_count, k_count), vals.dtype)
    for gn in range(g_count * n_count):
        g = gn // n_count
        r = gn - g * n_count
        for s in range(slots):
            k = (s // n) * m + idx[g, r, s]
            if k < k_count:
                out[g, r, k] += vals[g, r, s]  # padding slots add zero
    return out


def nm_decompress(enc: NMEncoding) -> np.ndarray:
    """The dense (groups, N, K) values of an N:M encoding (dropped positions are 0)."""
    return _nm_decompress(enc.values, enc.indices, enc.n, enc.m, enc.k)


def pack_nm_metadata(enc: NMEncoding) -> np.ndarray:
    """The in-group indices packed ``index_bits`` each, LSB first, into bytes (the metadata stream)."""
    bits = enc.index_bits
    idx = enc.indices.reshape(-1).astype(np.uint8)
    planes = ((idx[:, None] >> np.arange(bits, dtype=np.uint8)) & 1).astype(np.uint8)
    return np.packbits(planes.reshape(-1), bitorder="little")


# ---- CSR and sparse × dense products ------------------------------------------------------------------
class CSR(NamedTuple):
    """Compressed sparse rows of the (groups·N, K) stack of a layer's groups."""

    indptr: np.ndarray  # int64, groups·N + 1
    indices: np.ndarray  # int32 column (K) index of each stored value
    data: np.ndarray
    shape: tuple[int, int, int]  # dense (groups, N, K)


def csr_compress(mask: np.ndarray, values: np.ndarray | None = None) -> CSR:
    """CSR of ``values`` (default: the mask as 1.0) at the mask's nonzeros."""
    mm = _as_mask(mask)
    g, n, k = mm.shape
    if values is None:
        values = mm.astype(np.float64)
    values = np.asarray(values)
    require(values.shape == mm.shape, f"values shape {values.shape} does not match the mask's {mm.shape}")
    flat = mm.reshape(g * n, k).view(np.bool_)
    indptr = np.zeros(g * n + 1, np.int64)
    np.cumsum(np.count_nonzero(flat, axis=1), out=indptr[1:])
    _, cols = np.nonzero(flat)
    data = values.reshape(g * n, k)[flat]
    return CSR(indptr, cols.astype(np.int32), data, (g, n, k))


@njit(cache=True)
def _csr_matmul(indptr, indices, data, x, n_count):
    g_count, k_count, m_count = x.shape
    out = np.zeros((g_count, n_count, m_count), np.float64)
    for r in range(g_count * n_count):
        g = r // n_count
        i = r - g * n_count
        for p in range(indptr[r], indptr[r + 1]):
            w = data[p]
            xk = x[g, indices[p]]
            for j in range(m_count):
                out[g, i, j] += w * xk[j]
    return out


def _check_rhs(x: np.ndarray, g: int, k: int) -> np.ndarray:
    x = np.ascontiguousarray(x)
    require(x.ndim == 3 and x.shape[:2] == (g, k), f"dense operand must be (groups, K, M) = ({g}, {k}, M), got {x.shape}")
    return x


def csr_matmul(csr: CSR, x: np.ndarray) -> np.ndarray:
    """W @ X per group from W's CSR: x (groups, K, M) → (groups, N, M)."""
    g, n, k = csr.shape
    return _csr_matmul(csr.indptr, csr.indices, csr.data, _check_rhs(x, g, k), n)


@njit(cache=True)
def _nm_matmul(vals, idx, n, m, x):
    g_count, n_count, slots = vals.shape
    _, k_count, m_count = x.shape
    out = np.zeros((g_count, n_count, m_count), np.float64)
    for gr in range(g_count * n_count):
        g = gr // n_count
        r = gr - g * n_count
        for s in range(slots):
            w = vals[g, r, s]
            if w == 0:
                continue
            xk = x[g, (s // n) * m + idx[g, r, s]]
            for j in range(m_count):
                out[g, r, j] += w * xk[j]
    return out


def nm_matmul(enc: NMEncoding, x: np.ndarray) -> np.ndarray:
    """W @ X per group from W's N:M encoding: x (groups, K, M) → (groups, N, M)."""
    g = enc.values.shape[0]
    return _nm_matmul(enc.values, enc.indices, enc.n, enc.m, _check_rhs(x, g, enc.k))


# ---- compressed sizes ----------------------------------------------------------------------------------
@njit(cache=True)
def _rle_stats(flat, run_bits):
    """Per group (row of ``flat``: the group's N·K mask row-major): nonzeros, and RLE filler entries —
    a zero run of z before a nonzero needs z >> run_bits fillers; trailing zeros need none. Branch-free
    (the last nonzero's position is a select), so random masks pay no mispredictions and the only
    loop-carried dependence is one select per element."""
    g_count, size = flat.shape
    nnz = np.zeros(g_count, np.int64)
    fillers = np.zeros(g_count, np.int64)
    for g in range(g_count):
        row = flat[g]
        last = np.int64(-1)
        c = np.int64(0)
        f = np.int64(0)
        for i in range(size):
            b = np.int64(row[i])
            f += b * ((i - last - 1) >> run_bits)
            c += b
            last = i if b else last
        nnz[g] = c
        fillers[g] = f
    return nnz, fillers


class FormatSize(NamedTuple):
    """Bytes of an encoded weight tensor: stored values and metadata (indices, pointers, bitmaps)."""

    value_bytes: int
    metadata_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.value_bytes + self.metadata_bytes


def _bytes(bits: int) -> int:
    return (int(bits) + 7) // 8


def _bits_for(count: int) -> int:
    """Bits to write any integer in 0..count-1 (at least 1)."""
    return max(1, math.ceil(math.log2(max(count, 2))))


def compressed_sizes(mask: np.ndarray, value_bits: int, index_bits: int | None = None, run_bits: int = 4,
                     nm: tuple[int, int] | None = None, pointer_bits: int | None = None) -> dict[str, FormatSize]:
    """Bytes of the layer's weights in each format (whole tensor, all groups; bits rounded up to bytes
    once per tensor).

    * ``dense``  — every element, ``value_bits`` each.
    * ``bitmap`` — nonzero values + one presence bit per element.
    * ``csr`` / ``csc`` — nonzero values + one ``index_bits`` column (row) index per value + a
      ``pointer_bits`` pointer per row (column) plus one, per group. ``index_bits`` defaults to the
      fewest bits that address K (N); ``pointer_bits`` to the fewest that count a group's nonzeros.
    * ``rle``    — row-major scan of each group; each entry is (zeros before it in ``run_bits``, value);
      a zero run longer than 2^run_bits − 1 takes ⌊run / 2^run_bits⌋ filler entries holding an explicit
      zero (Han et al., Deep Compression, ICLR 2016); trailing zeros are not stored.
    * ``nm``     — when ``nm=(N, M)``: N value slots per M-group along K (groups padded with zeros) +
      ⌈log2 M⌉ index bits per slot (2 bits for M = 4). The mask must satisfy N:M.
    """
    mm = _as_mask(mask)
    g, n, k = mm.shape
    require(isinstance(value_bits, int) and value_bits >= 1, f"value_bits must be an integer >= 1, got {value_bits!r}")
    require(isinstance(run_bits, int) and 1 <= run_bits <= 32, f"run_bits must be 1..32, got {run_bits!r}")
    group_nnz, group_fillers = _rle_stats(mm.reshape(g, n * k), run_bits)
    nnz = int(group_nnz.sum())
    max_group_nnz = int(group_nnz.max()) if g else 0
    ptr_bits = pointer_bits if pointer_bits is not None else _bits_for(max_group_nnz + 1)

    def index_width(dim: int, fmt: str) -> int:
        need = _bits_for(dim)
        if index_bits is None:
            return need
        require(index_bits >= need, f"index_bits {index_bits} cannot address {dim} positions in {fmt}; "
                                    f"use at least {need}")
        return index_bits

    out = {
        "dense": FormatSize(_bytes(g * n * k * value_bits), 0),
        "bitmap": FormatSize(_bytes(nnz * value_bits), _bytes(g * n * k)),
        "csr": FormatSize(_bytes(nnz * value_bits), _bytes(nnz * index_width(k, "csr") + g * (n + 1) * ptr_bits)),
        "csc": FormatSize(_bytes(nnz * value_bits), _bytes(nnz * index_width(n, "csc") + g * (k + 1) * ptr_bits)),
    }
    entries = nnz + int(group_fillers.sum())
    out["rle"] = FormatSize(_bytes(entries * value_bits), _bytes(entries * run_bits))
    if nm is not None:
        nn, m = nm
        require(1 <= nn <= m, f"N:M needs 1 <= N <= M, got {nn}:{m}")
        _check_nm(mm, int(nn), int(m))
        slots = g * n * ((k + m - 1) // m) * nn
        out["nm"] = FormatSize(_bytes(slots * value_bits), _bytes(slots * _bits_for(m)))
    return out
