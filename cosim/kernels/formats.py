"""Weight encodings other than N:M: the CSR encoding and its sparse × dense product (a functional check
that the encoding reproduces the dense product), and the compressed size in bytes of a layer's weights
as dense, bitmap, CSR, CSC, RLE and N:M."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from cosim.errors import require
from cosim.kernels.layout import as_mask, check_rhs
from cosim.kernels.nm import _check_nm


# ---- CSR and sparse × dense products ------------------------------------------------------------------
class CSR(NamedTuple):
    """Compressed sparse rows of the (groups·N, K) stack of a layer's groups."""

    indptr: np.ndarray  # int64, groups·N + 1
    indices: np.ndarray  # int32 column (K) index of each stored value
    data: np.ndarray
    shape: tuple[int, int, int]  # dense (groups, N, K)


def csr_compress(mask: np.ndarray, values: np.ndarray | None = None) -> CSR:
    """CSR of ``values`` (default: the mask as 1.0) at the mask's nonzeros."""
    mm = as_mask(mask)
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


def csr_matmul(csr: CSR, x: np.ndarray) -> np.ndarray:
    """W @ X per group from W's CSR: x (groups, K, M) → (groups, N, M)."""
    g, n, k = csr.shape
    return _csr_matmul(csr.indptr, csr.indices, csr.data, check_rhs(x, g, k), n)

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
    mm = as_mask(mask)
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
