"""The systolic-array model as numpy formulas over layers × designs.

:func:`systolic_model` is the one model: it takes broadcastable arrays describing layers (GEMM view and
input footprint, cosim.datapaths.systolic.tiling.layer_arrays) and designs (:func:`design_arrays`) and returns cycles,
traffic and action counts. ``cosim.datapaths.systolic.simulate_layer`` calls it with 0-d arrays for one
layer on one spec; :func:`evaluate_batch` calls it with a layers × designs grid. Both give identical
numbers for dense layers.

    >>> from cosim.datapaths.systolic.model import evaluate_batch, design_arrays
    >>> out = evaluate_batch({"G": [1], "M": [64], "N": [64], "K": [64]}, design_arrays([spec]))
    >>> out["total_cycles"]          # shape (layers, designs)

Cycle model per group (layer.gemm = (groups, M, N, K); groups run one after another):

    compute = folds · (fold_cycles − T) + Σ_folds stream cycles          (dense: Σ = folds · T)
    stall   = SRAM-port stall + DRAM stall (double-buffered transfers overlap compute; single-buffered
              ones serialise with it)

``timing`` physical: fold_cycles = 2R + C + T − 2 (scalesim_timing.physical_fold_cycles), one DRAM
channel shared by all operands (the first fold's operands load before it and the last fold's outputs
store after it; the rest overlaps compute), SRAM halves holding elements of the layer's precision,
partial sums accumulated in the ofmap buffer at 32 bits; ws/is streams are cut into chunks (a fold
each) whose partial sums, and for ws whose input strip, fit on chip.
``timing`` scalesim: SCALE-Sim 3.0.0's fold cycles, SRAM counts and estimate-buffer traffic
(scalesim_timing), one DRAM interface per operand as in its USER bandwidth mode.

Sparse runs (cosim/datapaths/systolic/sparse.py) describe what the sparsity changes with optional
layer columns (:data:`SPARSE_KEYS`; 1-D per layer or 2-D layers × designs; a negative value, or a
missing key, means "as dense"):

    array_k            the reduction the array walks (N:M skipping: ⌈K/M⌉·N kept slots); folds, stream,
                       filter counts and partial sums follow it, the activations are still read in full
    filter_bytes_scale stored bytes of the filter operand per array element over its precision's bytes
    ifmap_bytes_scale  the same for the ifmap operand (compressed formats: values + metadata, < 1)
    fold_pairs         (row fold, column fold) pairs of the layer, all groups (weight compaction on ws)
    out_row_folds      Σ over groups and column folds of columns × row folds (the partial sums ws/is
                       emit: M · out_row_folds)
    stream_cycles      Σ over the layer's folds of the cycles spent streaming (slowest lane per fold)
    executed_macs      MAC slots the array runs (register traffic follows them)
    mapping_efficiency PEs holding useful work, averaged over folds
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from cosim.errors import CosimError

from cosim.datapaths.systolic import mapper
from cosim.datapaths.systolic import tiling as mp
from cosim.datapaths.systolic import scalesim_timing as st

TIMING_CODES = {"physical": 0, "scalesim": 1}

# Partial sums are kept at accumulator precision in physical timing: 32 bits, as the TPU v1's 4 MiB of
# 32-bit accumulators (Jouppi et al., ISCA 2017, §2).
PSUM_BYTES = 4
# Register-file accesses per MAC: read both operands, read and write the partial sum (the per-MAC
# register traffic of Chen et al., "Eyeriss", ISCA 2016, §5 energy analysis).
REGISTER_ACCESSES_PER_MAC = 4

LAYER_KEYS = ("G", "M", "N", "K", "ch_per_group", "ifmap_unique", "ifmap_halo", "ifmap_valid", "ifmap_ws_blocks",
              "ifmap_epoch_reads", "act_bits", "weight_bits", "out_bits")
SPARSE_KEYS = ("array_k", "filter_bytes_scale", "ifmap_bytes_scale", "fold_pairs", "out_row_folds",
               "stream_cycles", "executed_macs", "mapping_efficiency")
DESIGN_KEYS = ("rows", "cols", "dataflow", "timing", "ifmap_bytes", "filter_bytes", "ofmap_bytes",
               "ifmap_word_bytes", "filter_word_bytes", "ofmap_word_bytes", "double_buffered",
               "dram_bytes_per_cycle", "ifmap_peak_bytes_per_cycle", "filter_peak_bytes_per_cycle",
               "ofmap_peak_bytes_per_cycle", "register_bytes_per_pe", "mapper", "dram_pj_per_byte",
               "sram_pj_per_byte")
MAPPER_CODES = {"off": -1, **mapper.OBJECTIVE_CODES}


def design_arrays(designs: Any) -> dict[str, np.ndarray]:
    """Column arrays of systolic designs (a cosim.hw.designs.Designs, or a list of SystolicSpec): the
    design input of :func:`systolic_model`, read from the designs' columns with the specs' formulas."""
    from cosim.hw.designs import Designs
    from cosim.hw.spec import dram_bytes_per_cycle, kib_to_bytes, sram_peak_bytes_per_cycle

    d = designs if isinstance(designs, Designs) else Designs.of(designs)
    v = d.value
    out = {"rows": v("pe_array.rows").astype(np.int64), "cols": v("pe_array.cols").astype(np.int64),
           "dataflow": _codes(v("pe_array.dataflow"), mp.DATAFLOW_CODES),
           "timing": _codes(v("timing"), TIMING_CODES),
           "double_buffered": v("sram.double_buffered").astype(np.int64),
           "dram_bytes_per_cycle": np.asarray(dram_bytes_per_cycle(v("dram.bandwidth_gb_per_s").astype(np.float64),
                                                                   v("clock_mhz").astype(np.float64)))}
    out["register_bytes_per_pe"] = v("pe_array.register_bytes_per_pe").astype(np.float64)
    out["mapper"] = _codes(v("mapper"), MAPPER_CODES)
    out["scalesim_ifmap"] = _codes(v("scalesim_ifmap"), {"strips": 0, "replay": 1})
    out["dram_pj_per_byte"], out["sram_pj_per_byte"] = _transfer_energies(d)
    for b in ("ifmap", "filter", "ofmap"):
        out[f"{b}_bytes"] = kib_to_bytes(v(f"sram.{b}.size_kib").astype(np.float64))
        out[f"{b}_word_bytes"] = v(f"sram.{b}.word_bytes").astype(np.int64)
        out[f"{b}_peak_bytes_per_cycle"] = np.asarray(sram_peak_bytes_per_cycle(
            v(f"sram.{b}.banks").astype(np.int64), v(f"sram.{b}.ports").astype(np.int64),
            v(f"sram.{b}.bank_width_bytes").astype(np.int64)), dtype=np.float64)
    return out


def _transfer_energies(d) -> tuple[np.ndarray, np.ndarray]:
    """Per design, pJ per DRAM byte and per ifmap-SRAM byte read from its energy table: the mapper's
    energy objective weighs DRAM against SRAM transfers with them. Designs sharing a table share a look-up."""
    from cosim.hw.energy_tables import table_for
    from cosim.hw.spec import SystolicSpec

    firsts, inverse = d.group(SystolicSpec.ENERGY_FIELDS, _energy_key)
    dram = np.empty(len(firsts))
    sram = np.empty(len(firsts))
    for g, j in enumerate(firsts):
        t = table_for(d.spec(int(j)))
        dram[g], sram[g] = 8.0 * t.get("dram:read_bit", 0.0), t.get("sram_ifmap:read_byte", 0.0)
    return dram[inverse], sram[inverse]


def _energy_key(spec):
    from cosim.hw.energy_tables import spec_table_key

    return spec_table_key(spec)


def _codes(values: np.ndarray, codes: Mapping[str, int]) -> np.ndarray:
    """Integer codes of a column of names (few distinct names: one lookup each)."""
    names, inverse = np.unique(values.astype(str), return_inverse=True)
    return np.array([codes[str(n)] for n in names], dtype=np.int64)[inverse.reshape(-1)]


def _bytes_of(bits):
    return np.maximum(bits, 1) / 8.0


def _override(L: Mapping[str, Any], key: str, default):
    """Sparse column ``key`` of ``L`` where given and non-negative, ``default`` elsewhere (see SPARSE_KEYS)."""
    v = L.get(key)
    return default if v is None else np.where(np.asarray(v) < 0, default, v)


def _operand_bytes(L: Mapping[str, Any]):
    """Bytes per array element of the ifmap, filter and ofmap operands (compressed formats scaled)."""
    a_b, w_b, o_b = _bytes_of(L["act_bits"]), _bytes_of(L["weight_bits"]), _bytes_of(L["out_bits"])
    if L.get("ifmap_bytes_scale") is not None:
        a_b = a_b * _override(L, "ifmap_bytes_scale", 1.0)
    if L.get("filter_bytes_scale") is not None:
        w_b = w_b * _override(L, "filter_bytes_scale", 1.0)
    return a_b, w_b, o_b


def stream_chunks(L: Mapping[str, Any], D: Mapping[str, Any]):
    """(chunks, chunk cycles): how a fold's stream of T is cut so that its partial sums (and, for ws,
    its input strip) fit on chip (physical ws/is; one chunk otherwise). Every chunk is a fold of its
    own; chunks are ``chunk cycles`` long except the last."""
    m, n = L["M"], L["N"]
    k = _override(L, "array_k", L["K"])
    rows, cols, df = D["rows"], D["cols"], D["dataflow"]
    scalesim = np.asarray(D["timing"]) == 1  # SCALE-Sim streams every fold in one piece
    a_b, _, _ = _operand_bytes(L)
    sr, sc, t = mp.spatial_temporal(m, n, k, df)
    row_folds, _ = st.fold_counts(sr, sc, rows, cols)
    half = np.where(D["double_buffered"] == 1, 2, 1)
    psum_folds = np.where(df == 0, 0, row_folds - 1)  # partial sums an output gets before its last one
    if L.get("out_row_folds") is not None:  # compacted ws: Σ columns × (row folds − 1) > 0 means partial sums
        given = np.asarray(L["out_row_folds"])
        psum_folds = np.where(given < 0, psum_folds, given - L["G"] * n)
    # Physical ws/is: a column fold's partial sums (ws: M × C, is: C × N) collect in the ofmap half at
    # 32 bits across its row folds. When they do not fit, the stream is cut into chunks of T that do,
    # each chunk a fold of its own (the stationary tile is loaded again), as a tiling compiler would.
    # A physical ws array also cuts its M rows into strips whose input (halo included) fits the ifmap
    # half, so that every kernel tap of a strip reads the same resident input instead of refetching it.
    lanes = np.minimum(cols, sc)  # partial sums one stream step produces
    psum_chunk = np.where(psum_folds > 0, np.maximum(D["ofmap_bytes"] // half // (lanes * PSUM_BYTES), 1), t)
    words_in = np.floor(D["ifmap_bytes"] / half / a_b)
    unique, halo = L["ifmap_unique"], L["ifmap_halo"]
    strip_chunk = np.where((df == 1) & (unique > words_in),
                           np.maximum(np.floor(np.maximum(words_in - halo, 1) * m / np.maximum(unique, 1)), 1), t)
    chunk = np.minimum(psum_chunk, strip_chunk).astype(np.int64)
    chunks = np.where(scalesim | (df == 0), 1, mp.ceil_div(t, chunk))
    return chunks, np.where(chunks == 1, t, chunk)


def _timing_is_scalesim(D: Mapping[str, Any]) -> bool:
    """The timing mode of designs ``D``, which must share one (evaluate_batch splits them)."""
    timing = np.asarray(D["timing"])
    scalesim = bool(timing.flat[0] == 1) if timing.size else False
    if timing.size > 1 and not np.all(timing == timing.flat[0]):
        raise ValueError("systolic_model takes designs of one timing mode; evaluate_batch splits them")
    return scalesim


def systolic_model(L: Mapping[str, Any], D: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Cycles, traffic and actions of layers ``L`` on designs ``D`` (broadcastable arrays) that share
    one timing mode (only that mode's formulas are evaluated).

    A sparse run gives the layer's Σ over its folds of the cycles spent streaming operands as the
    ``stream_cycles`` column of ``L`` (SPARSE_KEYS, module docstring); without it every fold streams T.
    Counts are per layer (all groups); bytes are floats only where a precision is not whole bytes.
    """
    g, m, n, k_dense = L["G"], L["M"], L["N"], L["K"]
    k = _override(L, "array_k", k_dense)
    rows, cols, df = D["rows"], D["cols"], D["dataflow"]
    scalesim = _timing_is_scalesim(D)
    a_b, w_b, o_b = _operand_bytes(L)

    # ---- folds and compute cycles -----------------------------------------------------------------
    sr, sc, t = mp.spatial_temporal(m, n, k, df)
    row_folds, col_folds = st.fold_counts(sr, sc, rows, cols)
    half = np.where(D["double_buffered"] == 1, 2, 1)
    psum_folds = np.where(df == 0, 0, row_folds - 1)  # partial sums an output gets before its last one
    chunks, _ = stream_chunks(L, D)
    tiles = None if scalesim else mapper.map_model_columns(L, D, k, a_b, w_b, o_b)
    on = False if tiles is None else tiles["on"]
    factor = 1.0 if tiles is None else np.where(on, tiles["spatial_fold_factor"], 1.0)
    if tiles is not None:
        chunks = np.where(on, tiles["chunks"], chunks)
    # Layer totals (all groups); sparse runs may replace the fold pairs and the stream cycles. Tiles that
    # cut a spatial dimension off the array edge add the folds of their remainders (``factor``).
    pairs = _override(L, "fold_pairs", g * row_folds * col_folds)
    pairs = pairs if tiles is None else np.round(pairs * factor).astype(np.int64)
    layer_folds = pairs * chunks
    fold_cycles = (st.scalesim_fold_cycles(rows, cols, t, df) if scalesim else st.physical_fold_cycles(rows, cols, t, df))
    streams = _override(L, "stream_cycles", pairs * t)
    if tiles is not None and L.get("stream_cycles") is not None:  # given streams count the unmapped folds
        given = np.asarray(L["stream_cycles"]) >= 0
        streams = np.where(on & given, np.round(streams * factor), streams)
    compute = layer_folds * (fold_cycles - t) + streams - (g if scalesim else 0)

    # ---- on-chip capacity (elements) ----------------------------------------------------------------
    words_i = D["ifmap_bytes"] // D["ifmap_word_bytes"]
    words_f = D["filter_bytes"] // D["filter_word_bytes"]
    if scalesim:
        cap_i, cap_f = st.epoch_words(words_i), st.epoch_words(words_f)
    else:
        cap_i, cap_f = np.floor(D["ifmap_bytes"] / half / a_b), np.floor(D["filter_bytes"] / half / w_b)

    # ---- DRAM traffic (elements per group) ----------------------------------------------------------
    # SCALE-Sim's estimate buffer forgets by fill count, so its strips run on across sweeps.
    unique, halo = L["ifmap_unique"], L["ifmap_halo"]
    ifmap_rd = mp.ifmap_dram_elems(df, cols, m, n, k, unique, halo, L["ifmap_valid"], L["ifmap_ws_blocks"], cap_i,
                                   continuous=scalesim, ws_columns=scalesim)
    replayed = L.get("ifmap_epoch_reads")
    if scalesim and replayed is not None:
        ifmap_rd = np.where(replayed >= 0, replayed, ifmap_rd)
    filter_rd = mp.filter_dram_elems(df, rows, cols, m, n, k, cap_f, epoch=cap_f if scalesim else None)
    # A ws column fold's K × C weights serve every chunk; from DRAM again per chunk if they do not fit.
    filter_rd = np.where((df == 1) & (chunks > 1) & (k * np.minimum(cols, n) > cap_f), filter_rd * chunks, filter_rd)
    spill = 0
    if tiles is not None:  # the mapper's loop order and tiles (cosim/datapaths/systolic/mapper.py)
        ifmap_rd = np.where(on, tiles["ifmap_elems"], ifmap_rd)
        filter_rd = np.where(on, tiles["filter_elems"], filter_rd)
        spill = np.where(on, tiles["psum_spill_elems"], 0)  # 32-bit partial sums out to DRAM and back
    out_writes = mp.ofmap_write_elems(df, rows, m, n, k)  # array-side writes, partial sums included
    mn = m * n
    if L.get("out_row_folds") is not None:  # compacted ws: each column fold has its own row folds
        layer_out_writes = _override(L, "out_row_folds", g * n * np.where(df == 0, 1, row_folds)) * m
        layer_psums = np.where(df == 0, 0, layer_out_writes - g * mn)
    else:
        layer_out_writes, layer_psums = g * out_writes, g * (mn * psum_folds)
    if tiles is not None:  # mapped, as dense: one partial sum per output and reduction fold but the last
        use = on if L.get("out_row_folds") is None else on & (np.asarray(L["out_row_folds"]) < 0)
        mapped_psums = g * mn * (tiles["reduction_folds"] - 1)
        layer_psums = np.where(use, mapped_psums, layer_psums)
        layer_out_writes = np.where(use, g * mn + mapped_psums, layer_out_writes)
    dram_ifmap = g * ifmap_rd * a_b
    dram_filter = g * filter_rd * w_b
    spill_bytes = g * spill * PSUM_BYTES
    dram_read = g * (ifmap_rd * a_b + filter_rd * w_b) + spill_bytes
    # SCALE-Sim streams every partial sum out to DRAM; physical timing writes each output once (and the
    # partial sums a mapping spills).
    dram_write_elems = layer_out_writes if scalesim else g * mn
    dram_write = dram_write_elems * o_b + spill_bytes

    # ---- SRAM traffic (array side, elements per group) ----------------------------------------------
    ifmap_entries = m * k_dense if scalesim else L["ifmap_valid"]  # SCALE-Sim counts out-of-bounds taps
    sram_ifmap_rd = np.where(df == 2, ifmap_entries * chunks, ifmap_entries * col_folds)
    sram_filter_rd = k * n * np.where(df == 0, row_folds, np.where(df == 1, chunks, col_folds))
    quirk = st.scalesim_ofmap_quirk_words(df, rows, cols, layer_folds) if scalesim else 0
    layer_ofmap_wr = layer_out_writes + quirk
    # Physical read-modify-write of the partial sums held on chip (SCALE-Sim counts no ofmap reads).
    layer_psum_rd = np.zeros_like(layer_psums) if scalesim else layer_psums
    ofmap_wr_bytes = layer_ofmap_wr * o_b if scalesim else g * mn * o_b + layer_psums * PSUM_BYTES

    # Fills and drains: the DRAM side of each buffer is an SRAM write (fill) or read (drain) too.
    sram_rd = {"ifmap": g * sram_ifmap_rd * a_b, "filter": g * sram_filter_rd * w_b,
               "ofmap": layer_psum_rd * PSUM_BYTES + dram_write}
    sram_wr = {"ifmap": g * ifmap_rd * a_b, "filter": g * filter_rd * w_b, "ofmap": ofmap_wr_bytes + spill_bytes}

    # ---- stalls -------------------------------------------------------------------------------------
    # SRAM ports: an array-side stream the banks cannot deliver slows the array down.
    array_bytes = {"ifmap": g * sram_ifmap_rd * a_b, "filter": g * sram_filter_rd * w_b,
                   "ofmap": ofmap_wr_bytes + layer_psum_rd * PSUM_BYTES}
    sram_bound = np.zeros_like(compute, dtype=np.float64)
    for buf in ("ifmap", "filter", "ofmap"):
        sram_bound = np.maximum(sram_bound, np.ceil(array_bytes[buf] / D[f"{buf}_peak_bytes_per_cycle"]))
    sram_stall = np.maximum(sram_bound - compute, 0)
    busy = compute + sram_stall

    bpc = D["dram_bytes_per_cycle"]
    if not scalesim:
        # Physical: one channel. The first fold's operands load before it starts, the last fold's outputs
        # store after it ends; everything else overlaps with compute through the double-buffered halves.
        first = np.where(df == 0, rows * a_b + cols * w_b, rows * cols * np.where(df == 1, w_b, a_b))
        last = rows * cols * o_b
        if tiles is not None:  # a mapped layer's first tiles load, and its last output tile stores, exposed
            first = np.where(on, tiles["first_load_bytes"], first)
            last = np.where(on, tiles["last_store_bytes"], last)
        first = np.minimum(first, dram_read)
        last = np.minimum(last, dram_write)
        middle = np.maximum(dram_read + dram_write - first - last, 0)
        # Single-buffered buffers (double_buffered: false) hold one tile: its load, its compute and its
        # store serialise, so no transfer hides behind compute — the price of the doubled tile capacity.
        overlap = D["double_buffered"] == 1
        if tiles is not None:  # a mapping may run a double-buffered design on whole buffers, serialised
            overlap = np.where(on, tiles["overlap"] == 1, overlap)
        hidden = np.where(overlap, busy, 0)
        dram_stall = np.ceil(first / bpc) + np.ceil(last / bpc) + np.maximum(np.ceil(middle / bpc) - hidden, 0)
    else:
        # SCALE-Sim USER mode: one interface per operand at the same words/cycle; the first fill of each
        # read buffer precedes cycle 0 and the last drain of the ofmap buffer follows the last cycle.
        words_o = D["ofmap_bytes"] // D["ofmap_word_bytes"]
        wpc_i, wpc_f, wpc_o = bpc / D["ifmap_word_bytes"], bpc / D["filter_word_bytes"], bpc / D["ofmap_word_bytes"]
        read_stall = np.maximum(
            st.port_stall_cycles(g * ifmap_rd, np.minimum(g * ifmap_rd, words_i - words_i // 2), wpc_i, busy),
            st.port_stall_cycles(g * filter_rd, np.minimum(g * filter_rd, words_f - words_f // 2), wpc_f, busy))
        write_stall = st.write_stall_cycles(layer_out_writes, words_o, wpc_o, busy, layer_folds,
                                            st.write_gap_cycles(rows, t, df))
        dram_stall = np.maximum(read_stall, write_stall)

    stall = sram_stall + dram_stall
    total = compute + stall
    # cycle counts leave float64's exact-integer range long before int64 wraps: refuse, never wrap
    if np.size(total) and not (np.all(np.isfinite(total)) and np.max(total) < 2.0**53):
        raise CosimError("systolic model: a layer needs more than 2**53 cycles; the spec's bandwidth or "
                         "array is too small for this workload (raise dram.bandwidth_gb_per_s or shrink the batch)")
    macs = g * m * n * k_dense
    executed = _override(L, "executed_macs", macs)
    mapping_eff = _override(L, "mapping_efficiency", mp.mapping_efficiency(sr, sc, rows, cols))
    return {
        "compute_cycles": compute.astype(np.int64), "stall_cycles": stall.astype(np.int64),
        "total_cycles": (total).astype(np.int64),
        "sram_stall_cycles": sram_stall.astype(np.int64), "dram_stall_cycles": dram_stall.astype(np.int64),
        "macs": macs, "folds": layer_folds, "row_folds": row_folds, "col_folds": col_folds,
        "stream_cycles": streams, "mapping_efficiency": mapping_eff,
        "utilization": macs / (rows * cols * np.maximum(total, 1)),
        "dram_read_bytes": dram_read, "dram_write_bytes": dram_write,
        "dram_ifmap_read_bytes": dram_ifmap, "dram_filter_read_bytes": dram_filter,
        "dram_ifmap_read_elems": g * ifmap_rd, "dram_filter_read_elems": g * filter_rd,
        "dram_ofmap_write_elems": dram_write_elems, "chunks": chunks,
        "sram_ifmap_read_elems": g * sram_ifmap_rd, "sram_filter_read_elems": g * sram_filter_rd,
        "sram_ofmap_write_elems": layer_ofmap_wr, "sram_ofmap_psum_read_elems": layer_psum_rd,
        "sram_ifmap_read_bytes": sram_rd["ifmap"], "sram_filter_read_bytes": sram_rd["filter"],
        "sram_ofmap_read_bytes": sram_rd["ofmap"], "sram_ifmap_write_bytes": sram_wr["ifmap"],
        "sram_filter_write_bytes": sram_wr["filter"], "sram_ofmap_write_bytes": sram_wr["ofmap"],
        "sram_read_bytes": sram_rd["ifmap"] + sram_rd["filter"] + sram_rd["ofmap"],
        "sram_write_bytes": sram_wr["ifmap"] + sram_wr["filter"] + sram_wr["ofmap"],
        "register_accesses": REGISTER_ACCESSES_PER_MAC * executed,
        **mapper.mapping_columns(tiles, np.shape(total)),
    }


def evaluate_batch(gemms: Mapping[str, Any], designs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """All layers × all designs at once.

    ``gemms``: 1-D int arrays G, M, N, K per layer, optionally with the footprint and precision
    columns and the ``problems`` of cosim.datapaths.systolic.tiling.layer_arrays (plain GEMMs of 8-bit
    operands otherwise), and optionally sparse columns (SPARSE_KEYS: 1-D per layer or 2-D layers ×
    designs, as cosim.datapaths.systolic.sparse_batch.sparse_columns builds them).
    ``designs``: 1-D arrays of :func:`design_arrays` (keys DESIGN_KEYS). Returns 2-D arrays (layers ×
    designs), among them total_cycles, compute_cycles, stall_cycles, dram_read_bytes, dram_write_bytes,
    sram_read_bytes, sram_write_bytes, macs, register_accesses and the per-buffer SRAM bytes. Designs
    of each timing mode go through the model together.
    """
    L = mp.gemm_defaults({k: gemms[k] for k in gemms})
    Dd = {k: np.asarray(designs[k])[None, :] for k in DESIGN_KEYS}
    problems = L.get("problems")
    L["ifmap_ws_blocks"] = mp.ws_block_elems(None if problems is None else problems[:, None],
                                             L["ifmap_valid"][:, None], L["ch_per_group"][:, None], Dd["rows"])
    # SCALE-Sim timing with scalesim_ifmap: replay (the default): its estimate buffer's ifmap reads, replayed.
    replay = np.asarray(designs.get("scalesim_ifmap", np.ones_like(Dd["rows"][0])))[None, :]
    L["ifmap_epoch_reads"] = st.epoch_ifmap_reads(
        None if problems is None else problems[:, None], L["ifmap_halo"][:, None], L["ifmap_unique"][:, None],
        Dd["rows"], Dd["cols"], Dd["dataflow"], np.where(replay == 1, Dd["timing"], 0),
        Dd["ifmap_bytes"], Dd["ifmap_word_bytes"], L["N"][:, None])
    L = {k: (v if k in ("ifmap_ws_blocks", "ifmap_epoch_reads") else np.asarray(v)[:, None])
         for k, v in L.items() if k in LAYER_KEYS}
    for key in SPARSE_KEYS:
        if key in gemms:
            v = np.asarray(gemms[key])
            L[key] = v if v.ndim == 2 else v[:, None]
    n_layers, n_designs = len(L["M"]), Dd["rows"].shape[1]
    shape = (n_layers, n_designs)
    timing = Dd["timing"][0]
    modes = [np.flatnonzero(timing == t) for t in np.unique(timing)]
    if len(modes) == 1:
        out = systolic_model(L, Dd)
        return {k: np.broadcast_to(v, shape) for k, v in out.items()}
    merged: dict[str, np.ndarray] = {}
    for idx in modes:  # one model call per timing mode, on its designs' columns
        part = systolic_model({k: _columns(v, idx, n_designs) for k, v in L.items()},
                              {k: v[:, idx] for k, v in Dd.items()})
        for k, v in part.items():
            v = np.broadcast_to(v, (n_layers, len(idx)))
            if k not in merged:
                merged[k] = np.empty(shape, dtype=v.dtype)
            elif merged[k].dtype != v.dtype:
                merged[k] = merged[k].astype(np.result_type(merged[k], v))
            merged[k][:, idx] = v
    return merged


def _columns(v: np.ndarray, idx: np.ndarray, n_designs: int) -> np.ndarray:
    """The designs ``idx`` of a layer column that varies by design (2-D, one column per design)."""
    v = np.asarray(v)
    return v[:, idx] if v.ndim == 2 and v.shape[1] == n_designs and n_designs > 1 else v
