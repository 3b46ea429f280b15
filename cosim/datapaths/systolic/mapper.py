"""The systolic mapper: per layer and design, the loop order and SRAM tile sizes that run it best.

A compute layer is ``groups`` GEMMs of M × N × K (cosim/datapaths/systolic/tiling.py), K = C · window
(input channels per group × kernel taps). A mapping tiles the three loops between DRAM and the SRAM
buffers (Timeloop's split of architecture, problem and mapping; Parashar et al., ISPASS 2019):

    for the three tile loops in an order of (m, n, c), outermost first:
        m — Tm output positions (a strip of output rows: its input is the strip's window rows)
        n — Tn filters
        c — Tc input channels, each with its whole kernel window (Tk = Tc · window reduction entries)

and each buffer holds one tile of its operand: ifmap Tm × Tk im2col entries (their unique input
elements, halo included), filter Tk × Tn, ofmap Tm × Tn outputs (32-bit partial sums while the
reduction spans folds). A double-buffered design overlaps transfers with compute when each tile uses
half of its buffer, or uses whole buffers and serialises transfers like a single-buffered one (the
mapper tries both, so double buffering is never slower); the dataflow's stationary
operand (ws: filter, is: ifmap, os: outputs) may also live in the PE register files (R · C · the
register bytes a PE has beyond one operand word and one partial sum), as Eyeriss keeps filter rows in
its PE scratchpads (Chen et al., JSSC 2017, §III).

DRAM traffic of an operand follows the loop order (the reuse rule of Timeloop's tile analysis and of
nn_dataflow's loop-blocking scheme, Gao et al., ASPLOS 2019): its tile is fetched once per iteration of
the loops it depends on, and again for every iteration of a loop it does not depend on that sits
outside the innermost loop it does depend on (loops of one trip do not count). Outputs depend on m and
n; when the c loop sits outside them, every output is spilled to DRAM as a 32-bit partial sum after each
c tile but the last and read back before the next. A strip sweep of the input over all m tiles reads
U + (m tiles − 1) · halo elements (consecutive strips share a window's rows), never more than the valid
im2col entries.

The array side follows the tiles: the dataflow's temporal loop (os: K, ws: M, is: N) is cut into one
stream per tile (``chunks``), each a fold of its own with its fill and drain; a spatial dimension cut
into tiles that are not multiples of the array edge costs the folds of every tile's remainder.

Objective, per (layer, design): ``latency`` (default) — cycles, DRAM transfers overlapping compute when
double-buffered and serialised with it when not, then energy; ``energy`` — DRAM and SRAM transfer
energy (the spec's table, pJ/byte), then cycles; ``edp`` — their product. The m, n and c tiles tried are
the same capacity-independent list per dimension (:func:`_candidates`: every size when the dimension is
≤ 16, else 1, near-equal splits and array-edge multiples), so a bigger buffer only adds feasible
mappings; an exact branch and bound skips tiles whose lower bound cannot beat the best so far. On
layers whose dimensions are all ≤ 16 every tiling is tried (tests/test_mapper.py checks the mapper
against a brute-force loop-nest walker there).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from numba import njit, prange

ORDERS = ("ncm", "mcn", "mnc")  # outermost loop first; by innermost loop: m, n, c (the outer two commute)
OBJECTIVE_CODES = {"latency": 0, "energy": 1, "edp": 2}
PSUM_BYTES = 4  # partial sums at accumulator precision (cosim/datapaths/systolic/model.py)
_MAX_CANDIDATES = 64


_TRIPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256, 512, 1024)


@njit(cache=True)
def _cdiv(a, b):
    return -(-a // b)


@njit(cache=True)
def _spatial_folds(n, t, edge):
    """Folds of a spatial dimension of ``n`` cut into tiles of ``t`` on an array edge of ``edge``."""
    trips = _cdiv(n, t)
    last = n - (trips - 1) * t
    return (trips - 1) * _cdiv(t, edge) + _cdiv(last, edge)


_TRIPS_ARR = np.array(_TRIPS, dtype=np.int64)


@njit(cache=True)
def _candidates(n, edge, out):
    """Fill ``out`` with the tile sizes tried for a dimension of ``n`` (sorted): every size when n ≤ 16,
    else 1, the splits ⌈n/t⌉ into t near-equal tiles for t in _TRIPS, and the array ``edge`` times 1, 2,
    4, 8; returns their count."""
    buf = np.empty(16 + _TRIPS_ARR.size + 4, dtype=np.int64)
    e = 0
    for v in range(1, (n if n <= 16 else 0) + 1):
        buf[e] = v
        e += 1
    buf[e] = 1  # the smallest tile always: a layer that fits at all fits with it
    e += 1
    for t in _TRIPS_ARR:
        if t <= n:
            buf[e] = -(-n // t)
            e += 1
    for j in (1, 2, 4, 8):
        if edge * j <= n:
            buf[e] = edge * j
            e += 1
    vals = np.unique(buf[:e])
    for i in range(vals.size):
        out[i] = vals[i]
    return vals.size


@njit(cache=True, fastmath=True)
def _map_one(Li, Lf, Di, Df, out_i, out_f):
    """Best mapping of one (layer, design) pair into ``out_i``/``out_f`` (see :func:`map_pairs`)."""
    g, m, n, k, c, u, h, valid = Li[0], Li[1], Li[2], Li[3], Li[4], Li[5], Li[6], Li[7]
    a_b, w_b, o_b = Lf[0], Lf[1], Lf[2]
    rows, cols, df, dbuf, objective = Di[0], Di[1], Di[2], Di[3], Di[4]
    cap_i, cap_f, cap_o, reg_b, bpc, e_dram, e_sram = Df[0], Df[1], Df[2], Df[3], Df[4], Df[5], Df[6]
    peak_i, peak_f, peak_o = Df[7], Df[8], Df[9]
    cand_m = np.empty(_MAX_CANDIDATES, dtype=np.int64)
    cand_c = np.empty(_MAX_CANDIDATES, dtype=np.int64)
    cand_n = np.empty(_MAX_CANDIDATES, dtype=np.int64)
    # array edge of each dimension (os: M × N spatial, ws: K × N, is: K × M; the other one streams)
    edge_m = rows if df == 0 else (1 if df == 1 else cols)
    edge_n = cols if df != 2 else 1
    edge_c = max(_cdiv(rows * c, max(k, 1)), 1) if df != 0 else 1  # channels per row edge
    nm_ = _candidates(m, edge_m, cand_m)
    nc_ = _candidates(c, edge_c, cand_c)
    # The n tiles are the same kind of capacity-independent list, so that a bigger buffer only ever adds
    # feasible mappings (the search space grows with capacity: 2× SRAM can never cost the objective).
    nn_ = _candidates(n, edge_n, cand_n)
    # per-candidate facts, computed once (integer divisions are the expensive part of the search)
    m_trips = np.empty(nm_, dtype=np.int64)
    m_folds = np.empty(nm_, dtype=np.int64)  # spatial folds of M (os rows, is columns)
    for i in range(nm_):
        m_trips[i] = _cdiv(m, cand_m[i])
        m_folds[i] = _spatial_folds(m, cand_m[i], rows if df == 0 else cols)
    c_trips = np.empty(nc_, dtype=np.int64)
    c_tk = np.empty(nc_, dtype=np.int64)
    k_folds = np.empty(nc_, dtype=np.int64)  # spatial folds of K (ws, is rows)
    for i in range(nc_):
        c_trips[i] = _cdiv(c, cand_c[i])
        c_tk[i] = _cdiv(cand_c[i] * k, c)
        k_folds[i] = (c_trips[i] - 1) * _cdiv(c_tk[i], rows) + _cdiv(k - (c_trips[i] - 1) * c_tk[i], rows)
    n_trips = np.empty(nn_, dtype=np.int64)
    n_folds = np.empty(nn_, dtype=np.int64)  # spatial folds of N (os, ws columns)
    for i in range(nn_):
        n_trips[i] = _cdiv(n, cand_n[i])
        n_folds[i] = _spatial_folds(n, cand_n[i], cols)
    overhead = 2 * rows + cols - 2  # physical fill + drain of a fold (scalesim_timing.physical_fold_cycles)
    # spare PE register bytes hold the stationary operand (one streaming word and one partial sum stay free)
    spare = max(reg_b - (w_b if df == 2 else a_b) - PSUM_BYTES, 0.0) * rows * cols
    base_folds = _cdiv(k if df != 0 else m, rows) * _cdiv(n if df != 2 else m, cols)
    # Array-side SRAM streams as cosim/datapaths/systolic/model.py counts them: a buffer whose banks cannot
    # deliver its stream at the array's pace stretches compute (the model's sram stall).
    col_folds = _cdiv(m if df == 2 else n, cols)
    sram_i_fixed = valid * col_folds * a_b  # os, ws: the input once per column fold
    sram_f_fixed = k * n * _cdiv(m, rows if df == 0 else cols) * w_b  # os: per row fold, is: per column fold
    best0 = np.inf
    best1 = np.inf
    found = False
    # A double-buffered design either overlaps transfers with compute on half of each buffer, or uses
    # the whole buffers and serialises them (what a single-buffered one always does): both are tried.
    for overlap in range(1 if dbuf else 0, -1, -1):
        share = 0.5 if overlap else 1.0
        cap_i_all = np.floor(cap_i * share) + (spare if df == 2 else 0.0)
        cap_f_all = np.floor(cap_f * share) + (spare if df == 1 else 0.0)
        cap_o_all = np.floor(cap_o * share) + (spare if df == 0 else 0.0)
        # Large tiles first: they usually win, and a good early best lets the bound below skip the rest.
        for im in range(nm_ - 1, -1, -1):
            tm = cand_m[im]
            mt = m_trips[im]
            strip = min(u + (mt - 1) * h, valid)  # one sweep of the input in strips of tm positions
            fi_full = u * tm / max(m, 1) + h
            for ic in range(nc_ - 1, -1, -1):
                tc = cand_c[ic]
                ct = c_trips[ic]
                tk = c_tk[ic]
                fi = min(fi_full * tc / c, tm * tk) * a_b
                if fi > cap_i_all:
                    continue
                split_k = ct > 1 or (df != 0 and tk > rows)  # the reduction spans folds: 32-bit partial sums
                psb = PSUM_BYTES if split_k else o_b
                red_folds = ct if df == 0 else k_folds[ic]
                psum_b = 2.0 * m * n * (red_folds - 1) * PSUM_BYTES  # on-chip read-modify-write of partial sums
                sram_o = g * (m * n * o_b + psum_b)
                # Branch and bound (exact): no n tile or order of this (m, c) tile beats a lower bound of its
                # objective — the fewest folds and chunks any n tile gives, and every operand fetched once.
                if df == 0:
                    lb_compute = g * (m_folds[im] * n_folds[nn_ - 1] * (ct * overhead + k))
                elif df == 1:
                    lb_compute = g * (k_folds[ic] * n_folds[nn_ - 1] * (mt * overhead + m))
                else:
                    lb_compute = g * (k_folds[ic] * m_folds[im] * (overhead + n))
                lb_dram = g * (strip * a_b + k * n * w_b + m * n * o_b)
                if objective == 0:
                    lb = max(lb_compute, np.floor(lb_dram / bpc)) if overlap else lb_compute + np.floor(lb_dram / bpc)
                elif objective == 1:
                    lb = lb_dram * (e_dram + e_sram) + sram_o * e_sram
                else:
                    lb = -1.0
                if lb > best0:
                    continue
                n_fit = 0  # candidates ascend: the n tiles that fit are a prefix
                while n_fit < nn_ and tk * cand_n[n_fit] * w_b <= cap_f_all and tm * cand_n[n_fit] * psb <= cap_o_all:
                    n_fit += 1
                for inn in range(n_fit - 1, -1, -1):
                    tn = cand_n[inn]
                    nt = n_trips[inn]
                    if df == 0:
                        sf = m_folds[im] * n_folds[inn]
                        chunks, t_total = ct, k
                    elif df == 1:
                        sf = k_folds[ic] * n_folds[inn]
                        chunks, t_total = mt, m
                    else:
                        sf = k_folds[ic] * m_folds[im]
                        chunks, t_total = nt, n
                    compute = g * (sf * chunks * overhead + sf * t_total)
                    # the stationary operand is re-read from SRAM per chunk
                    sram_i = g * (valid * chunks * a_b if df == 2 else sram_i_fixed)
                    sram_f = g * (k * n * chunks * w_b if df == 1 else sram_f_fixed)
                    busy = max(compute, np.ceil(sram_i / peak_i), np.ceil(sram_f / peak_f), np.ceil(sram_o / peak_o))
                    if objective == 0:  # the same bound with this n tile's exact array time
                        lb_n = max(busy, np.floor(lb_dram / bpc)) if overlap else busy + np.floor(lb_dram / bpc)
                        if lb_n > best0:
                            continue
                    first = fi + tk * tn * w_b
                    last = tm * tn * o_b
                    for o in range(3):
                        # o = 0: m innermost, 1: n innermost, 2: c innermost. Only the innermost loop (of those
                        # with more than one trip) decides reuse: the operand that does not depend on it stays
                        # resident, the other two are fetched again for every trip of the loop they do not
                        # depend on (ORDERS[o]; the outer two commute).
                        if o == 0:
                            if mt == 1 and (nt > 1 or ct > 1):
                                continue  # m has one trip: another order covers it
                        elif o == 1:
                            if nt == 1:
                                continue
                        elif ct == 1:
                            continue
                        ifm = strip * (1 if o == 1 else nt)
                        flt = k * n * (1 if o == 0 else mt)
                        psum = m * n * ((ct if o != 2 else 1) - 1)
                        rd_b = g * (ifm * a_b + flt * w_b + psum * PSUM_BYTES)
                        wr_b = g * (m * n * o_b + psum * PSUM_BYTES)
                        # the first tile loads and the last stores exposed (the model's dram stall, exactly)
                        f_b = min(first, rd_b)
                        l_b = min(last, wr_b)
                        exposed = np.ceil(f_b / bpc) + np.ceil(l_b / bpc)
                        middle = np.ceil(max(rd_b + wr_b - f_b - l_b, 0.0) / bpc)
                        if overlap:  # the rest overlaps compute through the buffers' halves
                            cyc = exposed + max(busy, middle)
                        else:  # one tile per buffer: every transfer serialises with compute
                            cyc = exposed + busy + middle
                        energy = (rd_b + wr_b) * e_dram + (rd_b + wr_b + sram_i + sram_f + sram_o) * e_sram
                        if objective == 0:
                            k0, k1 = cyc, energy
                        elif objective == 1:
                            k0, k1 = energy, cyc
                        else:
                            k0, k1 = energy * cyc, energy
                        if k0 < best0 or (k0 == best0 and k1 < best1):
                            best0, best1, found = k0, k1, True
                            out_i[0], out_i[1], out_i[2], out_i[3] = tm, tn, tc, o
                            out_i[4], out_i[5], out_i[6] = mt, nt, ct
                            out_i[7], out_i[8] = chunks, sf
                            out_i[9] = red_folds
                            out_f[0], out_f[1], out_f[2] = ifm, flt, psum
                            out_f[3], out_f[4] = first, last
                            out_f[5] = sf / base_folds
                            out_i[10] = overlap
    return found


@njit(cache=True, parallel=True)
def _map_all(Li, Lf, Di, Df, out_i, out_f, found):
    for i in prange(Li.shape[0]):
        found[i] = _map_one(Li[i], Lf[i], Di[i], Df[i], out_i[i], out_f[i])


INT_FIELDS = ("tile_m", "tile_n", "tile_c", "order", "m_tiles", "n_tiles", "c_tiles", "chunks", "spatial_folds",
              "reduction_folds", "overlap")
FLOAT_FIELDS = ("ifmap_elems", "filter_elems", "psum_spill_elems", "first_load_bytes", "last_store_bytes",
                "spatial_fold_factor")
LAYER_INT = ("G", "M", "N", "K", "C", "ifmap_unique", "ifmap_halo", "ifmap_valid")
LAYER_FLOAT = ("a_bytes", "w_bytes", "o_bytes")
DESIGN_INT = ("rows", "cols", "dataflow", "double_buffered", "objective")
DESIGN_FLOAT = ("ifmap_cap_bytes", "filter_cap_bytes", "ofmap_cap_bytes", "register_bytes_per_pe",
                "dram_bytes_per_cycle", "dram_pj_per_byte", "sram_pj_per_byte", "ifmap_peak_bytes_per_cycle",
                "filter_peak_bytes_per_cycle", "ofmap_peak_bytes_per_cycle")


def map_pairs(layer: dict, design: dict) -> dict[str, np.ndarray]:
    """Best mappings of broadcastable (layer, design) arrays: ``layer`` holds LAYER_INT/LAYER_FLOAT
    (per group, elements; bytes per element), ``design`` DESIGN_INT/DESIGN_FLOAT (capacities: whole
    buffers, bytes). Returns INT_FIELDS/FLOAT_FIELDS arrays of the broadcast shape and ``found``
    (False where no tiling fits). Equal pairs are mapped once."""
    cols = [layer[k] for k in LAYER_INT] + [layer[k] for k in LAYER_FLOAT] + \
           [design[k] for k in DESIGN_INT] + [design[k] for k in DESIGN_FLOAT]
    shape = np.broadcast_shapes(*(np.shape(c) for c in cols))
    flat = [np.broadcast_to(np.asarray(c, dtype=np.float64), shape).reshape(-1) for c in cols]
    n = int(np.prod(shape)) if shape else 1
    if n == 0:
        return {f: np.zeros(shape, dtype=np.int64) for f in INT_FIELDS + ("found",)} | \
               {f: np.zeros(shape) for f in FLOAT_FIELDS}
    table = np.stack(flat, axis=1)
    uniq, inverse = np.unique(table, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    ni, nf, di = len(LAYER_INT), len(LAYER_FLOAT), len(DESIGN_INT)
    Li = np.ascontiguousarray(uniq[:, :ni]).astype(np.int64)
    Lf = np.ascontiguousarray(uniq[:, ni:ni + nf])
    Di = np.ascontiguousarray(uniq[:, ni + nf:ni + nf + di]).astype(np.int64)
    Df = np.ascontiguousarray(uniq[:, ni + nf + di:])
    out_i = np.zeros((len(uniq), len(INT_FIELDS)), dtype=np.int64)
    out_f = np.zeros((len(uniq), len(FLOAT_FIELDS)), dtype=np.float64)
    found = np.zeros(len(uniq), dtype=np.bool_)
    _map_all(Li, Lf, Di, Df, out_i, out_f, found)
    res = {f: out_i[inverse, j].reshape(shape) for j, f in enumerate(INT_FIELDS)}
    res.update({f: out_f[inverse, j].reshape(shape) for j, f in enumerate(FLOAT_FIELDS)})
    res["found"] = found[inverse].reshape(shape)
    return res


def map_model_columns(L: Mapping, D: Mapping, k, a_b, w_b, o_b) -> dict[str, np.ndarray] | None:
    """The mapper's choice for every (layer, design) of a physical-timing model call, with ``on`` where
    the design asks for it and a tiling fits (elsewhere the fixed tiling stays); None when no design maps."""
    code = np.asarray(D["mapper"])
    if not np.any(code >= 0):
        return None
    layer = {"G": L["G"], "M": L["M"], "N": L["N"], "K": k, "C": L["ch_per_group"],
             "ifmap_unique": L["ifmap_unique"], "ifmap_halo": L["ifmap_halo"], "ifmap_valid": L["ifmap_valid"],
             "a_bytes": a_b, "w_bytes": w_b, "o_bytes": o_b}
    design = {"rows": D["rows"], "cols": D["cols"], "dataflow": D["dataflow"], "double_buffered": D["double_buffered"],
              "objective": np.maximum(code, 0), "ifmap_cap_bytes": D["ifmap_bytes"],
              "filter_cap_bytes": D["filter_bytes"], "ofmap_cap_bytes": D["ofmap_bytes"],
              "register_bytes_per_pe": D["register_bytes_per_pe"], "dram_bytes_per_cycle": D["dram_bytes_per_cycle"],
              "dram_pj_per_byte": D["dram_pj_per_byte"], "sram_pj_per_byte": D["sram_pj_per_byte"],
              **{f"{b}_peak_bytes_per_cycle": D[f"{b}_peak_bytes_per_cycle"] for b in ("ifmap", "filter", "ofmap")}}
    out = map_pairs(layer, design)
    out["on"] = out["found"] & (code >= 0)
    return out


def mapping_columns(tiles, shape) -> dict[str, np.ndarray]:
    """The chosen mapping as model outputs (tile sizes and loop-order code; −1 where unmapped)."""
    if tiles is None:
        return {"mapped": np.zeros(shape, dtype=bool)}
    on = np.broadcast_to(tiles["on"], shape)
    out = {"mapped": on}
    for key in ("tile_m", "tile_n", "tile_c", "order", "overlap"):
        out[f"map_{key}"] = np.where(on, np.broadcast_to(tiles[key], shape), -1)
    return out


def order_name(code: int) -> str:
    """A loop order, outermost first, as 'n>c>m'."""
    return ">".join(ORDERS[int(code)])
