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
* Word size is one byte everywhere (single_layer_sim.py hard-codes ``word_size = 1``).
* In USER bandwidth mode each operand has its own DRAM interface: the ifmap and filter read buffers
  fetch at [layout] IfmapSRAMBankBandwidth / FilterSRAMBankBandwidth words per cycle, the ofmap write
  buffer drains at Bandwidth words per cycle; the first fill of each read buffer happens before
  cycle 0 and the last drain of the write buffer after the last compute cycle, outside "Total Cycles".
"""

from __future__ import annotations

import numpy as np

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
