"""N:M structured sparsity on weight masks: validation (the first M-group along K holding more than N
nonzeros), compression into N values + in-group indices per group, decompression, the packed metadata
stream, and the sparse × dense product computed on the encoding (a functional check that the encoding
reproduces the dense product)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from cosim.errors import CosimError, require
from cosim.kernels.layout import LO8, LO16, as_mask, check_rhs


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
        s = (s & LO8) + ((s >> np.uint64(8)) & LO8)
        if m >= 4:
            s = (s & LO16) + ((s >> np.uint64(16)) & LO16)
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
    return _first_nm(as_mask(mask), int(n), int(m))


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
    _check_nm(as_mask(mask), int(n), int(m), where)


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
    mm = as_mask(mask)
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
    return _nm_matmul(enc.values, enc.indices, enc.n, enc.m, check_rhs(x, g, enc.k))
