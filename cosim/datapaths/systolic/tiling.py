"""Mapping a layer onto a systolic array: GEMM view, folds, and tiling of the operands to SRAM.

GEMM view (im2col lowering, as SCALE-Sim and Timeloop do it): a layer is ``groups`` independent GEMMs
of M × N × K (cosim/graph.py). The groups run one after another on the array; a matmul with batch > 1
multiplies a different second operand for each batch element, so its batch is folded into the groups.

Dataflows place two GEMM dimensions on the array and stream the third through time (SCALE-Sim's
convention, Samajdar et al., ISPASS 2020, §III):

    dataflow   spatial rows Sr   spatial cols Sc   temporal T   stationary in the PEs
    os         M                 N                 K            outputs
    ws         K                 N                 M            weights (filter operand)
    is         K                 M                 N            inputs  (ifmap operand)

and the array of R × C PEs covers Sr × Sc in ceil(Sr/R) row folds × ceil(Sc/C) column folds, column
folds outer, row folds inner (SCALE-Sim's order). That order fixes how each operand is reused:

* **cycled** — re-read for every outer step: os ifmap, ws ifmap (per column fold); is filter.
* **reused**  — one block per outer step, re-read by each inner fold: os filter (K × C per column fold).
* **once**    — every block read once: ws filter, is ifmap.

Tiling with double buffering: each SRAM is split in two halves, one feeding the array while the other
is filled from (or drained to) DRAM, so an operand can stay on chip across re-reads only if it fits in
one half. The formulas below give the DRAM traffic (elements, per group) of each operand for a given
on-chip capacity; they are plain numpy expressions that broadcast over arrays of layers × designs, so
the scalar model (cosim/datapaths/systolic/layer.py) and the batch evaluator
(cosim/datapaths/systolic/model.py) are one model.

Convolutions read their input through im2col windows that overlap: the unique input elements
(``ifmap_unique``) are fewer than the M·K im2col entries. Reading the input in strips of output
positions, consecutive strips share ``ifmap_halo`` elements (the input rows of a window that the next
strip still needs), so a strip of ``capacity`` elements brings cap − halo new ones
(:func:`strip_sweep_elems`). That is exact when the halo is zero (1×1 convolutions, GEMMs) and within
3% of SCALE-Sim's per-address buffer on ResNet-50's 3×3 and 7×7 layers (tests/data/scalesim/README.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from cosim.errors import require
from cosim.graph import Layer

DATAFLOW_CODES = {"os": 0, "ws": 1, "is": 2}


def ceil_div(a, b):
    """⌈a / b⌉ for non-negative integers or integer arrays (exact, no floating point)."""
    return -(-a // b)


# ---- GEMM view of a layer ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GemmProblem:
    """What the array computes for one layer: ``groups`` GEMMs of M × N × K run one after another, plus
    the input-footprint facts the tiling needs (per group, in elements)."""

    groups: int
    m: int
    n: int
    k: int
    ifmap_unique: int  # distinct input elements one group reads (U)
    ifmap_halo: int  # input elements shared by consecutive strips of output positions
    ifmap_valid: int  # im2col entries that fall inside the input (padding taps are not read)
    ch_per_group: int  # input channels per group (K = ch · kh · kw)
    # (ch, kh, kw, stride h/w, dilation h/w, pad h/w, in h/w, out h/w, batch): for ws_block_unique
    geometry: tuple = ()

    @property
    def macs(self) -> int:
        return self.groups * self.m * self.n * self.k


def _touched(n_out: int, stride: int, kernel: int, dilation: int, pad: int, size: int) -> int:
    """Input rows (or columns) that at least one window tap reads, padding excluded (exact)."""
    o = np.arange(n_out)[:, None] * stride + np.arange(kernel)[None, :] * dilation - pad
    return int(np.unique(o[(o >= 0) & (o < size)]).size)


def _valid_taps(n_out: int, stride: int, kernel: int, dilation: int, pad: int, size: int) -> int:
    """Σ over kernel taps of the output positions whose tap falls inside the input (exact)."""
    o = np.arange(n_out)[:, None] * stride + np.arange(kernel)[None, :] * dilation - pad
    return int(np.count_nonzero((o >= 0) & (o < size)))


def gemm_problem(layer: Layer) -> GemmProblem:
    """The GEMM view of a compute layer, with its input footprint (see module docstring)."""
    require(layer.is_compute, f"layer '{layer.name}': op '{layer.op}' has no GEMM view; it runs on the vector unit")
    g, m, n, k = layer.gemm
    if layer.op == "matmul":
        # Each batch element multiplies its own (K × N) operand: batch × heads separate GEMMs.
        g, m = g * layer.batch, m // layer.batch
        return GemmProblem(g, m, n, k, ifmap_unique=m * k, ifmap_halo=0, ifmap_valid=m * k, ch_per_group=k)
    ch = layer.in_channels // layer.groups
    eff_h = layer.dilation_h * (layer.kernel_h - 1) + 1
    rows = _touched(layer.out_h, layer.stride_h, layer.kernel_h, layer.dilation_h, layer.pad_h, layer.in_h)
    cols = _touched(layer.out_w, layer.stride_w, layer.kernel_w, layer.dilation_w, layer.pad_w, layer.in_w)
    unique = layer.batch * rows * cols * ch
    # Consecutive strips of output rows share the input rows of the window not yet passed by the stride.
    halo = max(eff_h - layer.stride_h, 0) * cols * ch if layer.out_h > 1 else 0
    valid_h = _valid_taps(layer.out_h, layer.stride_h, layer.kernel_h, layer.dilation_h, layer.pad_h, layer.in_h)
    valid_w = _valid_taps(layer.out_w, layer.stride_w, layer.kernel_w, layer.dilation_w, layer.pad_w, layer.in_w)
    valid = layer.batch * valid_h * valid_w * ch
    geometry = (ch, layer.kernel_h, layer.kernel_w, layer.stride_h, layer.stride_w, layer.dilation_h,
                layer.dilation_w, layer.pad_h, layer.pad_w, layer.in_h, layer.in_w, layer.out_h, layer.out_w,
                layer.batch)
    return GemmProblem(g, m, n, k, ifmap_unique=min(unique, m * k), ifmap_halo=halo, ifmap_valid=valid,
                       ch_per_group=ch, geometry=geometry)


def layer_arrays(layers) -> dict[str, np.ndarray]:
    """Column arrays of the GEMM problems of ``layers`` (compute layers only), the layer input of
    :func:`cosim.datapaths.systolic.model.evaluate_batch`. ``problems`` (an object array) lets the
    evaluator count the ws column-block footprint of convolutions with few channels
    (:func:`ws_block_unique`)."""
    probs = [(gemm_problem(l), l) for l in layers]
    cols = {
        "G": [p.groups for p, _ in probs], "M": [p.m for p, _ in probs], "N": [p.n for p, _ in probs],
        "K": [p.k for p, _ in probs], "ifmap_unique": [p.ifmap_unique for p, _ in probs],
        "ifmap_halo": [p.ifmap_halo for p, _ in probs], "ifmap_valid": [p.ifmap_valid for p, _ in probs],
        "ch_per_group": [p.ch_per_group for p, _ in probs],
        "act_bits": [l.act_bits for _, l in probs],
        "weight_bits": [l.weight_bits if l.has_weights else l.act_bits for _, l in probs],
        "out_bits": [l.out_bits for _, l in probs],
    }
    out = {k: np.asarray(v, dtype=np.int64) for k, v in cols.items()}
    out["problems"] = np.empty(len(probs), dtype=object)
    out["problems"][:] = [p for p, _ in probs]
    return out


def gemm_defaults(gemms: dict) -> dict[str, np.ndarray]:
    """Fill the optional footprint columns of a bare {G, M, N, K} dict with the plain-GEMM values."""
    out = {k: (v if k == "problems" else np.asarray(v, dtype=np.int64)) for k, v in gemms.items()}
    m, k = out["M"], out["K"]
    defaults = {"ifmap_unique": m * k, "ifmap_halo": np.zeros_like(m), "ifmap_valid": m * k, "ch_per_group": k,
                "act_bits": np.full_like(m, 8), "weight_bits": np.full_like(m, 8), "out_bits": np.full_like(m, 8)}
    for key, v in defaults.items():
        out.setdefault(key, v)
    return out


@functools.lru_cache(maxsize=4096)
def ws_block_unique(geometry: tuple, rows: int) -> int:
    """Distinct input elements summed over the ws folds' column blocks of one sweep (per group).

    A ws fold streams a block of R consecutive im2col columns — (kernel row, kernel column, channel)
    triples — over all output positions. With at least R channels a block holds each channel once and
    its entries are distinct; with fewer, a block holds several taps of a channel whose windows overlap,
    and only their union is fetched. Counted exactly on a mask of the input plane per block."""
    ch, kh, kw, sh, sw, dh, dw, ph, pw, h, w, oh, ow, batch = geometry
    taps_r = [(np.arange(oh) * sh + r * dh - ph) for r in range(kh)]
    taps_c = [(np.arange(ow) * sw + c * dw - pw) for c in range(kw)]
    taps_r = [t[(t >= 0) & (t < h)] for t in taps_r]
    taps_c = [t[(t >= 0) & (t < w)] for t in taps_c]
    k = ch * kh * kw
    total = 0
    for start in range(0, k, rows):
        cols = np.arange(start, min(start + rows, k))
        sets: dict[tuple, int] = {}
        for c in range(ch):
            taps = tuple(int(j) // ch for j in cols[cols % ch == c])
            if taps:
                sets[taps] = sets.get(taps, 0) + 1
        for taps, count in sets.items():
            mask = np.zeros((h, w), dtype=bool)
            for tap in taps:
                r, c = divmod(tap, kw)
                mask[np.ix_(taps_r[r], taps_c[c])] = True
            total += count * int(np.count_nonzero(mask))
    return batch * total


def ws_block_elems(problems, valid, ch, rows):
    """ws column-block footprint per sweep for layers × designs: :func:`ws_block_unique` where a layer
    has fewer channels than a design has rows, the valid im2col entries otherwise. ``problems``: an
    object array of GemmProblem broadcastable with the others, or None (plain GEMMs)."""
    if np.ndim(problems) == 0 and np.ndim(valid) == 0 and np.ndim(rows) == 0:  # one layer, one design
        p = problems[()] if isinstance(problems, np.ndarray) else problems
        if p is not None and p.geometry and int(ch) < int(rows):
            return np.int64(ws_block_unique(p.geometry, int(rows)))
        return np.int64(valid)
    shape = np.broadcast_shapes(np.shape(valid), np.shape(ch), np.shape(rows), np.shape(problems))
    out = np.broadcast_to(np.asarray(valid, dtype=np.int64), shape).copy()
    if problems is None:
        return out
    probs = np.broadcast_to(problems, shape)
    ch_b, rows_b = np.broadcast_to(ch, shape), np.broadcast_to(rows, shape)
    few = ch_b < rows_b
    if not few.any():
        return out
    # One exact count per distinct (layer, array rows) pair: designs share a handful of array heights.
    lead = out.reshape(shape[0] if out.ndim else 1, -1)
    p_l, r_l, f_l = (x.reshape(lead.shape) for x in (probs, rows_b, few))
    for i in np.flatnonzero(f_l.any(axis=1)):
        for r in np.unique(r_l[i][f_l[i]]):
            sel = f_l[i] & (r_l[i] == r)
            p = p_l[i][np.argmax(sel)]
            if p is not None and p.geometry:
                lead[i][sel] = ws_block_unique(p.geometry, int(r))
    return lead.reshape(shape)


# ---- array mapping ----------------------------------------------------------------------------------

def spatial_temporal(m, n, k, dataflow):
    """(Sr, Sc, T) of the dataflow code(s) 0=os, 1=ws, 2=is (table in the module docstring)."""
    sr = np.where(dataflow == 0, m, k)
    sc = np.where(dataflow == 2, m, n)
    t = np.where(dataflow == 0, k, np.where(dataflow == 1, m, n))
    return sr, sc, t


def mapping_efficiency(sr, sc, rows, cols):
    """Fraction of PEs holding work, averaged over folds: Σ used rows·cols / (folds · R · C) (SCALE-Sim's
    "Mapping Efficiency")."""
    return (sr * sc) / (ceil_div(sr, rows) * ceil_div(sc, cols) * rows * cols)


# ---- operand traffic (elements per group) --------------------------------------------------------------

def strip_sweep_elems(unique, halo, valid, capacity, sweeps, continuous):
    """DRAM elements to read the input ``sweeps`` times in strips of output positions.

    A strip fills the on-chip ``capacity``; every strip after the first refetches the ``halo`` its
    predecessor also read, so it brings cap − halo new elements: n = ⌈(U − cap)/(cap − halo)⌉ later
    strips cost n · halo extra. ``continuous`` strips run on across sweeps (SCALE-Sim's estimate buffer
    forgets by fill count, not by sweep); otherwise every sweep starts a fresh strip (physical tiling).
    Without room for more than the halo, every im2col entry is read (``valid`` per sweep)."""
    cap = np.asarray(capacity, dtype=np.int64)
    room = np.maximum(cap - halo, 1)
    fresh = np.where(continuous, sweeps * unique, unique)
    later = np.maximum(ceil_div(np.maximum(fresh - cap, 0), room), 0)
    total = np.where(continuous, fresh + later * halo, sweeps * (unique + later * halo))
    return np.where(cap > halo, np.minimum(total, sweeps * valid), sweeps * valid)


def ifmap_dram_elems(dataflow, cols, m, n, k, unique, halo, valid, ws_blocks, capacity, continuous, ws_columns):
    """DRAM reads of the ifmap operand per group (elements) for an on-chip ``capacity`` (elements).

    All of it fits: read once. Otherwise os re-sweeps the input once per column fold in strips of output
    positions (halo refetch) and is reads each strip once. ws re-sweeps it per column fold too: in strips
    (a tiling that cuts M so a strip's input serves every kernel tap), or where ``ws_columns`` holds
    (SCALE-Sim) in blocks of R im2col columns over all output positions, deduplicated only within a
    block (``ws_blocks`` per sweep, :func:`ws_block_elems`; the reuse distance between blocks, M·R
    entries, rarely fits its buffer)."""
    _, sc, _ = spatial_temporal(m, n, k, dataflow)
    col_folds = ceil_div(sc, cols)
    sweeps = np.where(dataflow == 2, 1, col_folds)
    strips = strip_sweep_elems(unique, halo, valid, capacity, sweeps, continuous)
    swept = np.where((dataflow == 1) & ws_columns, col_folds * np.maximum(ws_blocks, unique), strips)
    return np.where(unique <= capacity, unique, swept)


def filter_dram_elems(dataflow, rows, cols, m, n, k, capacity, epoch=None, use_epoch=None):
    """DRAM reads of the filter operand per group (elements) for an on-chip ``capacity`` (elements).

    os keeps the K × C block of a column fold for all its row folds if the block fits, else re-reads it
    per fold; ws reads each weight once; is re-reads the whole filter per column fold unless it fits.
    ``epoch`` (words) adds SCALE-Sim's estimate-buffer refetches (:func:`epoch_refetch_elems`), where
    ``use_epoch`` holds (everywhere when None)."""
    sr, sc, _ = spatial_temporal(m, n, k, dataflow)
    row_folds, col_folds = ceil_div(sr, rows), ceil_div(sc, cols)
    kn = k * n
    block = k * np.minimum(cols, n)
    last = k * (n - (col_folds - 1) * cols)
    os_traffic = ((col_folds - 1) * np.where(block <= capacity, block, block * row_folds)
                  + np.where(last <= capacity, last, last * row_folds))
    if epoch is not None:  # SCALE-Sim timing where ``use_epoch`` (broadcastable bool)
        refetch = epoch_refetch_elems(block, col_folds, last, row_folds, epoch)
        os_traffic = os_traffic + (refetch if use_epoch is None else np.where(use_epoch, refetch, 0))
    is_traffic = np.where(kn <= capacity, kn, kn * col_folds)
    return np.where(dataflow == 0, os_traffic, np.where(dataflow == 1, kn, is_traffic))


def ofmap_write_elems(dataflow, rows, m, n, k):
    """Output elements the array writes per group: os writes each output once; ws and is emit a partial
    sum per row fold (the reduction is split over ceil(K/R) folds)."""
    row_folds = ceil_div(np.where(dataflow == 0, m, k), rows)
    return np.where(dataflow == 0, m * n, m * n * row_folds)


def epoch_refetch_elems(block_full, n_blocks, block_last, row_folds, epoch):
    """SCALE-Sim's extra reads of a reused operand (os filter) from its estimate-bandwidth buffer.

    SCALE-Sim 3.0.0 (memory/read_buffer_estimate_bw.py) counts an address as resident only while it
    belongs to the current "epoch" of ``epoch`` = 50·⌊size/100⌋ newly fetched words; when the epoch
    fills, everything older is forgotten. A column block fetched across an epoch boundary is therefore
    fetched again (the part before the boundary) by the next fold that reuses it. With equal blocks of
    B ≤ E words, q = ⌈E/B⌉ − 1 blocks fit in an epoch, every q-th block crosses a boundary and costs
    E − q·B extra words; the last (narrower) block crosses when it overflows what is left. Zero when
    each block is used by a single fold."""
    b = np.asarray(block_full, dtype=np.int64)
    e = np.asarray(epoch, dtype=np.int64)
    ok = (b > 0) & (b <= e) & (row_folds > 1)
    bs = np.where(ok, b, 1)
    q = np.maximum(ceil_div(e, bs) - 1, 1)
    full_after_first = np.maximum(n_blocks - 2, 0)  # full blocks after block 0, before the last one
    crossings = full_after_first // q
    per_crossing = np.maximum(e - q * bs, 0)
    # Words of the epoch in use before the last block: ((i mod q) + 1) full blocks after block i = n−2.
    pos_before_last = bs * ((np.maximum(n_blocks - 2, 0) % q) + 1)
    last_crosses = (n_blocks >= 2) & (pos_before_last + block_last >= e) & (block_last <= e)
    extra = crossings * per_crossing + np.where(last_crosses, np.maximum(e - pos_before_last, 0), 0)
    return np.where(ok, extra, 0)
