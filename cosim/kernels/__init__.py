"""Numba kernels over weight masks in the GEMM view: a (groups, N, K) boolean array per layer, one row
per filter (N), one column per reduction element (K).

* :mod:`~cosim.kernels.counts` — lane and tile nonzero counts (what each lane of an array streams per
  fold, for load imbalance), per mask or for a network's list of masks in one call (``*_batch``);
* :mod:`~cosim.kernels.nm` — N:M validation, compression into values + in-group indices, decompression,
  the N:M sparse × dense product;
* :mod:`~cosim.kernels.formats` — compressed sizes in bytes of dense, bitmap, CSR, CSC, RLE and N:M
  encodings; CSR and its sparse × dense product;
* :mod:`~cosim.kernels.layout` — mask normalisation (C-contiguous uint8 bytes) and the SWAR byte sums.

The public functions check and normalise their inputs and call ``@njit(cache=True)`` kernels; the
counting kernels also have opt-in parallel drivers (``PARALLEL`` below). Numpy reference versions live
in tests/test_kernels.py and scripts/bench_kernels.py measures the speed-ups.
"""

from __future__ import annotations

import os

# The counting kernels have a serial form and a parallel driver (rows or tiles across numba threads).
# Parallel is opt-in (COSIM_PARALLEL_KERNELS=1, or set cosim.kernels.PARALLEL = True): on a dedicated
# multi-core machine it brings ~2x per extra core on large masks, but a fork-join launch waits for every
# thread, and on a shared or oversubscribed machine (CI, sweeps that already run one simulation per
# core) we measured single launches stalling for 10-200 ms behind other processes. Even when enabled,
# masks under PARALLEL_MIN_BYTES stay serial: launching the thread team costs ~40-70 µs, more than
# counting a 256x64 mask takes. The batch entry points are serial.
PARALLEL = os.environ.get("COSIM_PARALLEL_KERNELS", "0") not in ("", "0")
PARALLEL_MIN_BYTES = 1 << 20

from cosim.kernels.counts import (FoldLaneStats, col_lane_counts, col_lane_counts_batch,  # noqa: E402
                                  fold_lane_stats, row_lane_counts, row_lane_counts_batch,
                                  tile_nonzero_counts, tile_nonzero_counts_batch)
from cosim.kernels.formats import CSR, FormatSize, compressed_sizes, csr_compress, csr_matmul  # noqa: E402
from cosim.kernels.nm import (NMEncoding, check_nm, first_nm_violation, nm_compress,  # noqa: E402
                              nm_decompress, nm_matmul, pack_nm_metadata)

__all__ = [
    "CSR", "FoldLaneStats", "FormatSize", "NMEncoding", "PARALLEL", "PARALLEL_MIN_BYTES", "check_nm",
    "col_lane_counts", "col_lane_counts_batch", "compressed_sizes", "csr_compress", "csr_matmul",
    "first_nm_violation", "fold_lane_stats", "nm_compress", "nm_decompress", "nm_matmul",
    "pack_nm_metadata", "row_lane_counts", "row_lane_counts_batch", "tile_nonzero_counts",
    "tile_nonzero_counts_batch",
]
