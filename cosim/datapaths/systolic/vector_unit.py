"""Vector layers (pool, add, norm, act, softmax, concat, embedding) on the array's SIMD vector unit.

Convention: the vector unit has one lane per array column (``pe_array.cols`` lanes, like the TPU v1's
activation pipeline fed by the 256 columns of its matrix unit), each doing one element operation per
cycle. A layer costs ⌈ops / lanes⌉ cycles, and at least ⌈outputs / lanes⌉ (a concat only moves data).
Its input streams in from DRAM through the ifmap buffer and its output out through the ofmap buffer,
overlapped with the operations (double buffering); DRAM time beyond the compute time is stall. An
embedding reads one table row per token (``Layer.input_elems_read``) at the weight precision.
SCALE-Sim has no vector unit: both timing modes use this model.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cosim.graph import Layer


def vector_unit(layers: Sequence[Layer], lanes: np.ndarray, dram_bytes_per_cycle: np.ndarray) -> dict[str, np.ndarray]:
    """Cycles and bytes of vector ``layers`` × designs (``lanes``, ``dram_bytes_per_cycle``: (designs,)).
    Returns (layers, designs) int64 arrays compute_cycles, stall_cycles, read_bytes, write_bytes, ops."""
    ops = np.array([l.vector_ops for l in layers], dtype=np.int64)[:, None]
    outs = np.array([l.output_elems for l in layers], dtype=np.int64)[:, None]
    read_bytes = np.array([-(-l.input_elems_read * (l.weight_bits if l.op == "embedding" else l.act_bits) // 8)
                           for l in layers], dtype=np.int64)[:, None]
    write_bytes = np.array([-(-l.output_elems * l.out_bits // 8) for l in layers], dtype=np.int64)[:, None]
    lanes = np.asarray(lanes, dtype=np.int64)[None, :]
    compute = np.maximum(np.maximum(np.ceil(ops / lanes), np.ceil(outs / lanes)), 1).astype(np.int64)
    transfer = np.ceil((read_bytes + write_bytes) / np.asarray(dram_bytes_per_cycle, dtype=np.float64)[None, :])
    stall = np.maximum(transfer.astype(np.int64) - compute, 0)
    shape = compute.shape
    return {"compute_cycles": compute, "stall_cycles": stall, "ops": np.broadcast_to(ops, shape),
            "read_bytes": np.broadcast_to(read_bytes, shape), "write_bytes": np.broadcast_to(write_bytes, shape)}
