"""A brute-force, cycle-by-cycle reference simulator of a store-and-forward systolic array.

It moves every operand through PE registers one hop per cycle and counts what happens, so the fast
closed-form model (cosim/datapaths/systolic/model.py, ``timing: physical``) can be checked against it
on small cases, the way nn_dataflow checks its analytical access counts against a brute-force loop
nest. It computes the GEMM for real, so a wrong schedule shows up as a wrong product.

Array: R rows × C columns of PEs. Data enters at the left edge (moving right) and the top edge (moving
down); results leave at the bottom edge. Folds run one after another, column folds outer, row folds
inner (SCALE-Sim's order); the GEMM view (M, N, K) maps to the array as in cosim/datapaths/systolic/tiling.py:

* os: PE (i, j) accumulates output (m_i, n_j). A rows enter the left edge, row i delayed i cycles;
  B columns enter the top edge, column j delayed j cycles. When the last MAC is done, the R rows of
  accumulators shift down and out of the bottom edge, one row per cycle.
* ws: the fold's weights shift down from the top edge, one row per cycle (R cycles), then A enters the
  left edge (row i = reduction index k_i, skewed by i) and partial sums flow down and out of the bottom.
* is: as ws with the roles of the operands swapped: the fold's inputs A[m_j, k_i] shift in first, then
  B rows stream from the left (row i carries B[k_i, n] for n = 0..N−1) and partial sums flow down.

Counts: ``cycles`` (first edge injection to last result out, summed over folds), ``macs`` (MACs on real
data), ``sram_reads`` per operand (elements injected at the edges: array-side SRAM reads),
``ofmap_writes`` (results leaving the array, partial sums included) and ``psum_reads`` (partial sums
read back to accumulate a later row fold's results in the output buffer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RefResult:
    out: np.ndarray
    cycles: int = 0
    macs: int = 0
    sram_reads: dict = field(default_factory=lambda: {"ifmap": 0, "filter": 0})
    ofmap_writes: int = 0
    psum_reads: int = 0
    fold_cycles: list = field(default_factory=list)
    pe_busy: int = 0  # Σ over folds of PEs holding work (for mapping efficiency)


def _os_fold(a, b, R, C):
    """One os fold: ``a`` (r × T) rows of A, ``b`` (T × c) columns of B.
    Returns (outputs r × c, cycles, macs, A reads, B reads)."""
    r, T = a.shape
    c = b.shape[1]
    acc = np.zeros((R, C), dtype=np.int64)
    a_reg, b_reg = np.zeros((R, C), dtype=np.int64), np.zeros((R, C), dtype=np.int64)
    a_val, b_val = np.zeros((R, C), dtype=bool), np.zeros((R, C), dtype=bool)
    reads_a = reads_b = macs = 0
    # The controller runs fixed-length folds: operands cross the whole array (T + R − 1 + C − 1 cycles)
    # whatever part of it the fold uses.
    stream_cycles = T + R + C - 2
    for t in range(stream_cycles):
        a_reg[:, 1:], a_val[:, 1:] = a_reg[:, :-1].copy(), a_val[:, :-1].copy()
        b_reg[1:, :], b_val[1:, :] = b_reg[:-1, :].copy(), b_val[:-1, :].copy()
        a_reg[:, 0], a_val[:, 0], b_reg[0, :], b_val[0, :] = 0, False, 0, False
        for i in range(r):
            if 0 <= t - i < T:
                a_reg[i, 0], a_val[i, 0] = a[i, t - i], True
                reads_a += 1
        for j in range(c):
            if 0 <= t - j < T:
                b_reg[0, j], b_val[0, j] = b[t - j, j], True
                reads_b += 1
        both = a_val & b_val
        acc += np.where(both, a_reg * b_reg, 0)
        macs += int(both.sum())
    assert macs == r * c * T, "an os MAC fell outside the fold"
    # Drain: the accumulators shift down and out of the bottom edge, one row per cycle.
    out = np.zeros((r, c), dtype=np.int64)
    for step in range(R):
        leaving = R - 1 - step
        if leaving < r:
            out[leaving] = acc[leaving, :c]
    return out, stream_cycles + R, macs, reads_a, reads_b


def _stationary_fold(stat, stream, R, C):
    """One ws/is fold: ``stat`` (r × c) is held in the PEs (PE (i, j) = stat[i, j]); ``stream`` (r × T)
    enters the left edge, row i skewed by i; partial sums start at the top edge and flow down.
    Returns (results T × c, cycles, macs, stream reads, stationary reads)."""
    r, c = stat.shape
    T = stream.shape[1]
    w = np.zeros((R, C), dtype=np.int64)
    w_val = np.zeros((R, C), dtype=bool)
    # Load: the stationary tile shifts down from the top edge, one row per cycle (R cycles).
    for step in range(R):
        w[1:, :], w_val[1:, :] = w[:-1, :].copy(), w_val[:-1, :].copy()
        w[0, :], w_val[0, :] = 0, False
        src = R - 1 - step  # the row injected at this step ends up in row R − 1 − step
        if src < r:
            w[0, :c], w_val[0, :c] = stat[src], True
    x, x_val = np.zeros((R, C), dtype=np.int64), np.zeros((R, C), dtype=bool)
    ps, ps_val = np.zeros((R, C), dtype=np.int64), np.zeros((R, C), dtype=bool)
    ps_idx = np.full((R, C), -1, dtype=np.int64)
    out = np.zeros((T, c), dtype=np.int64)
    reads = macs = seen = 0

    def collect():
        nonlocal seen
        for j in range(c):
            if ps_val[R - 1, j]:
                out[ps_idx[R - 1, j], j] = ps[R - 1, j]
                seen += 1

    stream_cycles = T + R + C - 2  # the last partial sum leaves the far corner (fixed-length folds)
    for t in range(stream_cycles):
        collect()  # partial sums that left the bottom row at the end of the previous cycle
        x[:, 1:], x_val[:, 1:] = x[:, :-1].copy(), x_val[:, :-1].copy()
        x[:, 0], x_val[:, 0] = 0, False
        for i in range(r):
            if 0 <= t - i < T:
                x[i, 0], x_val[i, 0] = stream[i, t - i], True
                reads += 1
        ps[1:, :], ps_val[1:, :], ps_idx[1:, :] = ps[:-1, :].copy(), ps_val[:-1, :].copy(), ps_idx[:-1, :].copy()
        ps[0, :], ps_val[0, :], ps_idx[0, :] = 0, False, -1
        for j in range(c):
            if 0 <= t - j < T:
                ps_val[0, j], ps_idx[0, j] = True, t - j
        mac = x_val & w_val & ps_val
        ps += np.where(mac, x * w, 0)
        macs += int(mac.sum())
    collect()
    assert seen == T * c and macs == r * c * T, "a partial sum did not leave the fold in time"
    return out, R + stream_cycles, macs, reads, int(w_val.sum())


def simulate(A: np.ndarray, B: np.ndarray, R: int, C: int, dataflow: str) -> RefResult:
    """Run A (M × K) @ B (K × N) on an R × C array, fold by fold; returns the product and the counts."""
    A = np.asarray(A, dtype=np.int64)
    B = np.asarray(B, dtype=np.int64)
    M, K = A.shape
    N = B.shape[1]
    res = RefResult(out=np.zeros((M, N), dtype=np.int64))
    written = np.zeros((M, N), dtype=bool)
    if dataflow == "os":
        for n0 in range(0, N, C):
            for m0 in range(0, M, R):
                a, b = A[m0:m0 + R], B[:, n0:n0 + C]
                out, cyc, macs, ra, rb = _os_fold(a, b, R, C)
                res.out[m0:m0 + R, n0:n0 + C] = out
                res.cycles += cyc
                res.fold_cycles.append(cyc)
                res.macs += macs
                res.sram_reads["ifmap"] += ra
                res.sram_reads["filter"] += rb
                res.ofmap_writes += out.size
                res.pe_busy += out.size
        return res
    if dataflow == "ws":
        for n0 in range(0, N, C):
            for k0 in range(0, K, R):
                stat = B[k0:k0 + R, n0:n0 + C]  # weights: PE (i, j) = B[k_i, n_j]
                stream = A[:, k0:k0 + R].T  # row i streams A[m, k_i] over m
                out, cyc, macs, reads, wreads = _stationary_fold(stat, stream, R, C)
                block = (slice(None), slice(n0, n0 + C))
                res.psum_reads += int(written[block].sum())
                res.out[block] += out
                written[block] = True
                res.cycles += cyc
                res.fold_cycles.append(cyc)
                res.macs += macs
                res.sram_reads["ifmap"] += reads
                res.sram_reads["filter"] += wreads
                res.ofmap_writes += out.size
                res.pe_busy += stat.size
        return res
    if dataflow == "is":
        for m0 in range(0, M, C):
            for k0 in range(0, K, R):
                stat = A[m0:m0 + C, k0:k0 + R].T  # inputs: PE (i, j) = A[m_j, k_i]
                stream = B[k0:k0 + R, :]  # row i streams B[k_i, n] over n
                out, cyc, macs, reads, ireads = _stationary_fold(stat, stream, R, C)
                block = (slice(m0, m0 + C), slice(None))
                res.psum_reads += int(written[block].sum())
                res.out[block] += out.T
                written[block] = True
                res.cycles += cyc
                res.fold_cycles.append(cyc)
                res.macs += macs
                res.sram_reads["ifmap"] += ireads
                res.sram_reads["filter"] += reads
                res.ofmap_writes += out.size
                res.pe_busy += stat.size
        return res
    raise ValueError(f"dataflow {dataflow!r}")
