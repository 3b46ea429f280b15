"""SCALE-Sim 3.0.0-compatible formulas (``timing: scalesim``), numpy-broadcastable.

Facts read from SCALE-Sim 3.0.0's source (PyPI ``scalesim`` 3.0.0, scalesim/compute/systolic_compute_
{os,ws,is}.py and scalesim/memory/*.py) and checked against its reports (tests/data/scalesim/):

* A fold's demand matrices have R + C + T − 2 rows for os and 2R + C + T − 2 rows for ws and is:
  os skews T operand rows over the R − 1 + C − 1 diagonal of the array; ws/is first spend R cycles
  shifting the stationary operand in. The layer's "Total Cycles" is the index of the last demand row,
  folds · fold_rows − 1 (the −1 is SCALE-Sim's, issue #125 of scalesim-project/SCALE-Sim).
  The SCALE-Sim paper (and scale-sim-v3 issue #4, acknowledged by its maintainers) gives 2R + C + T − 2
  for os too: the R cycles that shift finished outputs out of the array are missing from the code.
  cosim's ``physical`` timing uses 2R + C + T − 2 for every dataflow and no −1
  (cosim/datapaths/systolic/model.py), so physical = scalesim + R·folds (os) + 1 per group.
* SRAM counts are array-side requests: os reads M·K·cf ifmap and K·N·rf filter words and writes M·N
  outputs plus R + C per fold (a quirk of create_ofmap_demand_mat); ws reads M·K·cf ifmap and K·N
  filter words and writes M·N·rf partial sums; is reads M·K ifmap and K·N·cf filter words and writes
  M·N·rf (rf, cf = row and column folds). Out-of-bounds im2col taps count as reads.
* DRAM traffic in estimate-bandwidth (CALC) mode follows an "epoch" buffer: addresses stay resident
  while they belong to the current 50·⌊size/100⌋ newly fetched words (read_buffer_estimate_bw.py);
  cosim uses that epoch as the on-chip capacity (cosim.datapaths.systolic.tiling.epoch_refetch_elems).
  For a convolution whose windows overlap and whose input reaches the epoch, which words come back
  depends on where the epoch boundaries fall in the demand order; there the ifmap demand is replayed
  in SCALE-Sim's order: equal to SCALE-Sim's DRAM ifmap reads on every stored layer (the strip formula
  it replaces was 22 % high on a 9×9×512 3×3 os layer and 74 % low on is and tall-array os layers).
  :func:`literal_ifmap_reads` walks the demand word by word (5–400 ms per layer × array × buffer on
  ResNet-50); :func:`replayed_ifmap_reads` (cosim.datapaths.systolic.scalesim_replay) counts the same by
  one walk per layer × array shared by every buffer size and fold count (~1 ms per distinct case in
  a ResNet-50 sweep, memoised), so sweeps use it too; ``scalesim_ifmap: strips`` (cosim/hw/spec.py)
  keeps the closed-form strips.
* Word size is one byte everywhere (single_layer_sim.py hard-codes ``word_size = 1``).
* In USER bandwidth mode each operand has its own DRAM interface: the ifmap and filter read buffers
  fetch at [layout] IfmapSRAMBankBandwidth / FilterSRAMBankBandwidth words per cycle, the ofmap write
  buffer drains at Bandwidth words per cycle; the first fill of each read buffer happens before
  cycle 0 and the last drain of the write buffer after the last compute cycle, outside "Total Cycles".
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from cosim.datapaths.systolic import scalesim_replay as sr
from cosim.datapaths.systolic.scalesim_replay import replayed_ifmap_reads  # noqa: F401 (re-exported)
from cosim.datapaths.systolic.tiling import ceil_div


def scalesim_fold_cycles(rows, cols, t, dataflow):
    """Cycles of one fold in SCALE-Sim 3.0.0: R + C + T − 2 (os), 2R + C + T − 2 (ws, is)."""
    return np.where(dataflow == 0, rows + cols + t - 2, 2 * rows + cols + t - 2)


def physical_fold_cycles(rows, cols, t, dataflow):
    """Cycles of one fold on a store-and-forward systolic array (SCALE-Sim paper, Samajdar et al.,
    ISPASS 2020, Eq. 1): R − 1 + C − 1 cycles of skew to fill the array, T cycles of streaming, and R
    cycles to move the stationary data in (ws, is: weights or inputs shift down the columns) or out (os:
    finished outputs shift out of the columns): 2R + C + T − 2 for every dataflow."""
    del dataflow
    return 2 * rows + cols + t - 2


def epoch_words(size_words):
    """Words an estimate-bandwidth read buffer keeps resident: 50 sets of ⌊size/100⌋ words."""
    return 50 * (np.asarray(size_words) // 100)


def scalesim_ofmap_quirk_words(dataflow, rows, cols, folds):
    """Extra ofmap SRAM writes SCALE-Sim 3.0.0 counts for os: R + C per fold (0 for ws and is)."""
    return np.where(dataflow == 0, folds * (rows + cols), 0)


def port_stall_cycles(traffic_words, prefill_words, words_per_cycle, compute_cycles):
    """Cycles one DRAM interface adds when it cannot keep up: the words it must move during the layer
    (all but the prefill before cycle 0) at its rate, beyond the compute cycles that hide them."""
    moved = np.maximum(traffic_words - prefill_words, 0)
    return np.maximum(np.ceil(moved / words_per_cycle) - compute_cycles, 0)


def write_gap_cycles(rows, t, dataflow):
    """Cycles of a fold during which SCALE-Sim's array writes no output: the T − 1 streaming cycles
    before an os fold's outputs leave plus one, or the 2R cycles of a ws/is fold's weight/input load
    and skew (measured on its write buffer: drain issue times step by 2R across fold boundaries)."""
    return np.where(dataflow == 0, t, 2 * rows)


def write_stall_cycles(writes, buffer_words, words_per_cycle, compute_cycles, folds, gap):
    """Stall cycles of SCALE-Sim 3.0.0's ofmap write buffer (memory/write_buffer.py) in USER mode.

    The buffer of S words drains D = ⌊S/2⌋ words at a time, one line of ``words_per_cycle`` per cycle
    (L = ⌈D/bw⌉ − 1 cycles from issue to end), and issues a drain only on a write, once more than D words
    wait and the previous drain has ended; the array stalls when the buffer is full (it counts as full
    one word early). Writing W words thus needs n = ⌈(W − S + 1)/D⌉ drains issued back to back from the
    first one (issued at the (D+1)-th write, t₁ ≈ compute·(D+1)/W), except that a drain ending in a fold's
    write-free gap waits for the next write: at most one gap per fold boundary and per drain. The array
    ends when the last drain is issued and the words after it are written:

        end = t₁ + (n − 1)·L + min(folds − 1, n − 1)·gap + compute·(W − (S − 1) − (n − 1)·D)/W

    stall = end − compute when positive. Matches SCALE-Sim's write-bound runs within 2%
    (tests/data/scalesim/cases/userfit_*)."""
    w = np.asarray(writes, dtype=np.float64)
    s = np.asarray(buffer_words, dtype=np.float64)
    d = np.floor(s / 2)
    drain = np.maximum(np.ceil(d / words_per_cycle) - 1, 0)
    n = np.maximum(np.ceil((w - s + 1) / np.maximum(d, 1)), 0)
    wsafe = np.maximum(w, 1)
    t1 = compute_cycles * (d + 1) / wsafe
    tail = compute_cycles * np.maximum(w - (s - 1) - (n - 1) * d, 0) / wsafe
    end = t1 + (n - 1) * drain + np.minimum(folds - 1, n - 1) * gap + tail
    return np.where(n > 0, np.maximum(np.ceil(end) - compute_cycles, 0), 0)


def fold_counts(sr, sc, rows, cols):
    """(row folds, column folds) covering Sr × Sc on an R × C array."""
    return ceil_div(sr, rows), ceil_div(sc, cols)


# ---- estimate-buffer ifmap reads of convolutions, replayed (module docstring) ------------------------

@njit(cache=True)
def _ifmap_addr(p, k, ch, kw, sh, sw, h, w, ow):
    """SCALE-Sim's im2col address of output position ``p``, window entry ``k`` (operand_matrix.py
    calc_ifmap_elem_addr: windows start at the stride, no padding; −1 past the input's edge)."""
    orow, ocol = p // ow, p % ow
    crow, rest = k // (kw * ch), k % (kw * ch)
    ccol, cch = rest // ch, rest % ch
    r, c = orow * sh + crow, ocol * sw + ccol
    if r >= h or c >= w:
        return -1
    return (r * w + c) * ch + cch


@njit(cache=True)
def _fetch(a, seen, state):
    """One demanded word: fetched unless seen in the current epoch; ``state`` = [epoch id, fetches in
    the epoch, fetches in all, epoch size, position in the sweep, position where the last epoch ended]."""
    if a < 0:
        return
    state[4] += 1
    if seen[a] != state[0]:
        seen[a] = state[0]
        state[2] += 1
        state[1] += 1
        if state[1] == state[3]:
            state[0] += 1
            state[1] = 0
            state[5] = state[4]


@njit(cache=True)
def _sweep(dataflow, ch, kh, kw, sh, sw, h, w, oh, ow, rows, cols, seen, state):
    """One pass of the ifmap demand in SCALE-Sim's order (os and ws: one column fold; is: all folds)."""
    m, k = oh * ow, kh * kw * ch
    if dataflow == 0:  # os: row folds of R positions, skewed over K
        for p0 in range(0, m, rows):
            rr = min(rows, m - p0)
            for t in range(k + rr - 1):
                for r in range(max(0, t - k + 1), min(rr, t + 1)):
                    _fetch(_ifmap_addr(p0 + r, t - r, ch, kw, sh, sw, h, w, ow), seen, state)
    elif dataflow == 1:  # ws: row folds of R entries, skewed over the M positions
        for k0 in range(0, k, rows):
            rr = min(rows, k - k0)
            for t in range(m + rr - 1):
                for r in range(max(0, t - m + 1), min(rr, t + 1)):
                    _fetch(_ifmap_addr(t - r, k0 + r, ch, kw, sh, sw, h, w, ow), seen, state)
    else:  # is: column folds of C positions, row folds of R entries (rows flipped), positions in order
        for p0 in range(0, m, cols):
            cc = min(cols, m - p0)
            for k0 in range(0, k, rows):
                rr = min(rows, k - k0)
                for kk in range(rr - 1, -1, -1):
                    for pp in range(cc):
                        _fetch(_ifmap_addr(p0 + pp, k0 + kk, ch, kw, sh, sw, h, w, ow), seen, state)


@njit(cache=True)
def _epoch_replay(dataflow, ch, kh, kw, sh, sw, h, w, oh, ow, rows, cols, col_folds, epoch):
    """DRAM words an estimate buffer of ``epoch`` words fetches for the ifmap demand of a layer (os, ws,
    is: the orders of systolic_compute_{os,ws,is}.py create_ifmap_demand_mat, skews and flips included;
    gap rows hold no addresses): a word is fetched unless already fetched in the current epoch; after
    ``epoch`` fetches the epoch ends and everything is forgotten (read_buffer_estimate_bw.py: 50 sets
    of ⌊size/100⌋ words).

    os and ws repeat the same sweep once per column fold. When an epoch ended inside a sweep, what the
    buffer holds at the sweep's end is fixed by where that epoch began (the words demanded since), so
    two sweeps ending with their last epoch begun at the same position start identical futures: from
    the first such repeat the per-sweep fetches are periodic and the rest is extrapolated, exactly."""
    seen = np.full(h * w * ch, -1, np.int64)
    state = np.zeros(6, np.int64)
    state[3] = epoch
    sweeps = 1 if dataflow == 2 else col_folds
    ends = np.full(sweeps, -1, np.int64)  # per sweep: position its last epoch began at (−1: none began)
    totals = np.zeros(sweeps + 1, np.int64)  # fetches before each sweep
    for i in range(sweeps):
        state[4], state[5] = 0, -1
        _sweep(dataflow, ch, kh, kw, sh, sw, h, w, oh, ow, rows, cols, seen, state)
        totals[i + 1] = state[2]
        ends[i] = state[5]
        if ends[i] >= 0:
            for j in range(i):
                if ends[j] == ends[i]:  # sweeps j+1.. repeat from sweep i+1 on with period i − j
                    period, per = i - j, totals[i + 1] - totals[j + 1]
                    left = sweeps - 1 - i
                    q, rem = left // period, left % period
                    return totals[i + 1] + q * per + (totals[j + 1 + rem] - totals[j + 1])
    return state[2]


@functools.lru_cache(maxsize=4096)
def literal_ifmap_reads(geometry: tuple, n: int, rows: int, cols: int, dataflow: int, epoch: int) -> int:
    """The literal replay (the oracle of :func:`replayed_ifmap_reads`, which is the same count by a
    faster route, cosim.datapaths.systolic.scalesim_replay): SCALE-Sim's CALC-mode DRAM ifmap reads of
    one convolution group (``geometry`` as cosim.datapaths.systolic.tiling.gemm_problem builds it, ``n``
    filters) on an R × C ``dataflow`` (0 os, 1 ws, 2 is) array whose ifmap buffer keeps an ``epoch`` of
    words; −1 where the replay does not apply (dilation or a batch, which SCALE-Sim's topologies lack)."""
    ch, kh, kw, sh, sw, dh, dw, _ph, _pw, h, w, oh, ow, batch = geometry
    if dh != 1 or dw != 1 or batch != 1 or epoch <= 0:
        return -1
    col_folds = ceil_div(n, cols) if dataflow != 2 else 1
    return int(_epoch_replay(dataflow, ch, kh, kw, sh, sw, h, w, oh, ow, rows, cols, col_folds, epoch))


def epoch_ifmap_reads(problems, halo, unique, rows, cols, dataflow, timing, ifmap_bytes, word_bytes, n):
    """Per layer × design: :func:`replayed_ifmap_reads` where SCALE-Sim timing meets a convolution
    whose input overlaps between windows (``halo`` > 0) and reaches its epoch; −1 elsewhere (the strip
    formulas of cosim.datapaths.systolic.tiling are exact there). Arguments broadcast to layers ×
    designs; ``problems`` is the object column of GemmProblems. Each distinct layer × array × epoch is
    replayed (or looked up) once."""
    shape = np.broadcast_shapes(np.shape(problems), np.shape(rows), np.shape(halo))
    out = np.full(shape, -1, dtype=np.int64)
    if problems is None:
        return out
    b = [np.broadcast_to(x, shape) for x in (problems, halo, unique, rows, cols, dataflow, timing,
                                             ifmap_bytes, word_bytes, n)]
    prob, hal, uni, r, c, df, tm, ib, wb, nn = b
    ep = epoch_words(ib // np.maximum(wb, 1))
    want = (tm == 1) & (hal > 0) & (uni >= ep)  # an epoch filled exactly forgets too
    idx = np.nonzero(want)
    if len(idx[0]) == 0:
        return out
    objs = prob[idx]
    geometries, ids, gid = [], {}, np.empty(len(objs), dtype=np.int64)
    for i, p in enumerate(objs):
        geo = p.geometry if p is not None else ()
        g = ids.get(geo)
        if g is None:
            g = ids[geo] = len(geometries)
            geometries.append(geo)
        gid[i] = g
    got = sr.batch_ifmap_reads(geometries, gid, nn[idx], r[idx], c[idx], df[idx], ep[idx])
    out[idx] = got
    return out
