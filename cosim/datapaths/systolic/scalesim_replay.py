"""Fast exact replay of SCALE-Sim 3.0.0's estimate-buffer ifmap DRAM reads (``scalesim_ifmap: replay``).

The literal replay (cosim.datapaths.systolic.scalesim_timing.literal_ifmap_reads, kept as the test
oracle) walks the ifmap demand of a layer in SCALE-Sim's order, computing every im2col address and
checking it against the words fetched in the current epoch. The count depends only on the demand
order, so this module splits the work by what each part depends on:

1. ``_reuse_distances`` (per layer, dataflow, array height, and array width for is): walks one sweep
   of the demand once and stores, per demanded word, where that word was last demanded *before* it,
   relative to the start of its sweep: the previous demand in the same sweep, or else its last demand
   in the previous sweep (minus the sweep's length; os and ws repeat the same sweep per column fold).
2. ``_sweep_totals`` (per epoch size): an epoch begun at position s fetches the words whose previous
   demand lies before s (everything demanded since s is resident, read_buffer_estimate_bw.py), so the
   count is a scan of "previous < s" over that array: counted 2,048 words at a time (vectorised) and word
   by word only in the block where the epoch fills. A sweep wholly inside one epoch fetches nothing.
3. The column folds of os and ws are periodic from the first sweep whose last epoch began where an
   earlier sweep's did (the resident words at a sweep's end are those demanded since that epoch began),
   so one table per epoch size answers every fold count, exactly.

Tables are memoised per (layer, dataflow, rows, [cols], epoch); a sweep of designs looks up each
distinct key once (:func:`batch_ifmap_reads`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cosim.datapaths.systolic.tiling import ceil_div

_BLOCK = 2048  # words counted at once in the vectorised scan (any size gives the same count)
_CACHE_LIMIT = 200_000  # memoised tables kept before the memo is cleared (bounded memory in long sweeps)


@njit(cache=True)
def _demand_addresses(dataflow, ch, kh, kw, sh, sw, h, w, oh, ow, rows, cols):
    """The valid ifmap addresses of one sweep in SCALE-Sim's demand order (os and ws: one column fold;
    is: all folds), as scalesim_timing._sweep walks them: −1 taps past the input's edge dropped."""
    m, k = oh * ow, kh * kw * ch
    prow, pcol, pbase = np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.int64)
    for p in range(m):
        prow[p], pcol[p] = (p // ow) * sh, (p % ow) * sw
        pbase[p] = (prow[p] * w + pcol[p]) * ch
    krow, kcol, koff = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k, np.int64)
    for q in range(k):
        krow[q], rest = q // (kw * ch), q % (kw * ch)
        kcol[q] = rest // ch
        koff[q] = (krow[q] * w + kcol[q]) * ch + rest % ch
    out = np.empty(m * k, np.int32)
    n = 0
    if dataflow == 0:  # os: row folds of R positions, skewed over K
        for p0 in range(0, m, rows):
            rr = min(rows, m - p0)
            for t in range(k + rr - 1):
                for r in range(max(0, t - k + 1), min(rr, t + 1)):
                    p, q = p0 + r, t - r
                    if prow[p] + krow[q] < h and pcol[p] + kcol[q] < w:
                        out[n] = pbase[p] + koff[q]
                        n += 1
    elif dataflow == 1:  # ws: row folds of R entries, skewed over the M positions
        for k0 in range(0, k, rows):
            rr = min(rows, k - k0)
            for t in range(m + rr - 1):
                for r in range(max(0, t - m + 1), min(rr, t + 1)):
                    p, q = t - r, k0 + r
                    if prow[p] + krow[q] < h and pcol[p] + kcol[q] < w:
                        out[n] = pbase[p] + koff[q]
                        n += 1
    else:  # is: column folds of C positions, row folds of R entries (rows flipped), positions in order
        for p0 in range(0, m, cols):
            cc = min(cols, m - p0)
            for k0 in range(0, k, rows):
                rr = min(rows, k - k0)
                for kk in range(rr - 1, -1, -1):
                    q = k0 + kk
                    for pp in range(cc):
                        p = p0 + pp
                        if prow[p] + krow[q] < h and pcol[p] + kcol[q] < w:
                            out[n] = pbase[p] + koff[q]
                            n += 1
    return out[:n]


@njit(cache=True)
def _reuse_distances(addr, n_words):
    """Per demanded word, the position of its previous demand relative to the start of its sweep: in
    the same sweep (≥ 0) or, for a word's first demand in a sweep, its last demand in the previous
    sweep (position − sweep length, < 0; never demanded before in the first sweep, where any epoch
    start ≥ 0 lies after it)."""
    t = len(addr)
    last = np.full(n_words, -1, np.int32)
    prev = np.empty(t, np.int32)
    for i in range(t):
        a = addr[i]
        prev[i] = last[a]
        last[a] = i
    for i in range(t):
        if prev[i] < 0:
            prev[i] = last[addr[i]] - t
    return prev


@njit(cache=True)
def _sweep_totals(prev, epoch, max_sweeps):
    """Fetches of an estimate buffer of ``epoch`` words over up to ``max_sweeps`` repeats of the sweep
    whose previous-demand positions are ``prev``. Returns (totals, j, i): totals[s] = fetches before
    sweep s; (j, i) = a repeat found (sweeps j+1.. recur from sweep i+1 with period i − j), −1 if none
    within ``max_sweeps``."""
    t = len(prev)
    totals = np.zeros(max_sweeps + 1, np.int64)
    ends = np.full(max_sweeps, -1, np.int64)
    start = 0  # where the current epoch began, relative to the current sweep's start
    cnt = 0  # fetches in the current epoch
    total = 0
    for sweep in range(max_sweeps):
        ended = -1
        i = 0
        if start < -t:  # the epoch holds everything since before the previous sweep: no fetch
            i = t
        s32 = np.int32(max(start, -t - 1))
        while i < t:
            hi = min(i + _BLOCK, t)
            c = np.count_nonzero(prev[i:hi] < s32)
            if cnt + c < epoch:
                cnt += c
                total += c
                i = hi
                continue
            while i < hi:  # the epoch fills in this block
                if prev[i] < s32:
                    cnt += 1
                    total += 1
                    if cnt == epoch:
                        cnt = 0
                        start = i + 1
                        s32 = np.int32(start)
                        ended = start
                        i += 1
                        break
                i += 1
        totals[sweep + 1] = total
        ends[sweep] = ended
        start -= t
        if ended >= 0:
            for j in range(sweep):
                if ends[j] == ended:
                    return totals[:sweep + 2], j, sweep
    return totals, -1, -1


def _from_table(table, sweeps: int) -> int:
    """Fetches of ``sweeps`` sweeps from a :func:`_sweep_totals` table (extrapolated past a repeat)."""
    totals, j, i = table
    if sweeps < len(totals):
        return int(totals[sweeps])
    period, per = i - j, totals[i + 1] - totals[j + 1]
    left = sweeps - 1 - i
    q, rem = divmod(left, period)
    return int(totals[i + 1] + q * per + (totals[j + 1 + rem] - totals[j + 1]))


_TABLES: dict = {}


def _covers(table, sweeps: int) -> bool:
    return table is not None and (sweeps < len(table[0]) or table[2] >= 0)


def ifmap_reads(geometry: tuple, sweeps_by_epoch: dict, rows: int, cols: int, dataflow: int) -> dict:
    """{(epoch, sweeps): DRAM ifmap words} of one layer on one array for every epoch size and sweep
    count (column folds; 1 for is) asked for, sharing the demand walk between them."""
    ch, kh, kw, sh, sw, _dh, _dw, _ph, _pw, h, w, oh, ow, _batch = geometry
    # Rows past the folded dimension (K for ws and is, M for os) and columns past M (is) give the same
    # demand order: one fold of the whole dimension. Only is sweeps depend on the array width.
    rows = min(rows, oh * ow if dataflow == 0 else kh * kw * ch)
    cols = min(cols, oh * ow)
    cw = cols if dataflow == 2 else 0
    prev = None
    out = {}
    if len(_TABLES) > _CACHE_LIMIT:
        _TABLES.clear()
    for epoch, sweeps in sweeps_by_epoch.items():
        key = (geometry, dataflow, rows, cw, epoch)
        table = _TABLES.get(key)
        most = max(sweeps)
        if not _covers(table, most):
            if prev is None:
                addr = _demand_addresses(dataflow, ch, kh, kw, sh, sw, h, w, oh, ow, rows, cols)
                prev = _reuse_distances(addr, h * w * ch)
            table = _sweep_totals(prev, epoch, most)
            _TABLES[key] = table
        for s in sweeps:
            out[(epoch, s)] = _from_table(table, s)
    return out


def replayed_ifmap_reads(geometry: tuple, n: int, rows: int, cols: int, dataflow: int, epoch: int) -> int:
    """SCALE-Sim's CALC-mode DRAM ifmap reads of one convolution group (``geometry`` as
    cosim.datapaths.systolic.tiling.gemm_problem builds it, ``n`` filters) on an R × C ``dataflow`` (0
    os, 1 ws, 2 is) array whose ifmap buffer keeps an ``epoch`` of words; −1 where the replay does not
    apply (dilation or a batch, which SCALE-Sim's topologies lack)."""
    dh, dw, batch = geometry[5], geometry[6], geometry[13]
    if dh != 1 or dw != 1 or batch != 1 or epoch <= 0:
        return -1
    sweeps = ceil_div(n, cols) if dataflow != 2 else 1
    return ifmap_reads(geometry, {epoch: [sweeps]}, rows, cols, dataflow)[(epoch, sweeps)]


def batch_ifmap_reads(geometries: list, gid, n, rows, cols, dataflow, epoch) -> np.ndarray:
    """:func:`replayed_ifmap_reads` over 1-D arrays of wanted entries (``gid`` indexes ``geometries``),
    each distinct (layer, dataflow, rows, cols or column folds, epoch) computed or looked up once."""
    gid, n, rows, cols, dataflow, epoch = (np.asarray(x, dtype=np.int64) for x in (gid, n, rows, cols, dataflow, epoch))
    out = np.full(len(gid), -1, dtype=np.int64)
    if len(gid) == 0:
        return out
    sweeps = np.where(dataflow == 2, 1, -(-n // np.maximum(cols, 1)))
    width = np.where(dataflow == 2, cols, 0)
    keys = np.stack([gid, dataflow, rows, width, sweeps, epoch], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    values = np.empty(len(uniq), dtype=np.int64)
    groups: dict = {}
    for u, (g, df, r, cw, s, ep) in enumerate(uniq.tolist()):
        groups.setdefault((g, df, r, cw), []).append((u, s, ep))
    for (g, df, r, cw), items in groups.items():
        geo = geometries[g]
        if not geo or geo[5] != 1 or geo[6] != 1 or geo[13] != 1:
            values[[u for u, _, _ in items]] = -1
            continue
        by_epoch: dict = {}
        for _u, s, ep in items:
            by_epoch.setdefault(ep, []).append(s)
        got = ifmap_reads(geo, {ep: v for ep, v in by_epoch.items() if ep > 0}, r, cw if df == 2 else 1, df)
        for u, s, ep in items:
            values[u] = got.get((ep, s), -1)
    out[:] = values[inverse.reshape(-1)]
    return out
