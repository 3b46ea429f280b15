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

import math

from cosim.graph import Layer
from cosim.perf import LayerPerf


def simulate_vector_layer(layer: Layer, spec) -> LayerPerf:
    lanes = spec.pe_array.cols
    ops = layer.vector_ops
    compute = max(math.ceil(ops / lanes), math.ceil(layer.output_elems / lanes), 1)
    in_bits = layer.weight_bits if layer.op == "embedding" else layer.act_bits
    read_bytes = math.ceil(layer.input_elems_read * in_bits / 8)
    write_bytes = math.ceil(layer.output_elems * layer.out_bits / 8)
    transfer = math.ceil((read_bytes + write_bytes) / spec.dram_bytes_per_cycle)
    stall = max(transfer - compute, 0)
    sram_rd = {"ifmap": read_bytes, "filter": 0, "ofmap": write_bytes}  # feed the lanes; drain to DRAM
    sram_wr = {"ifmap": read_bytes, "filter": 0, "ofmap": write_bytes}  # fill from DRAM; lane results
    actions = {"vector:op": float(ops), "dram:read_bit": 8.0 * read_bytes, "dram:write_bit": 8.0 * write_bytes}
    for buf in ("ifmap", "ofmap"):
        actions[f"sram_{buf}:read_byte"] = float(sram_rd[buf])
        actions[f"sram_{buf}:write_byte"] = float(sram_wr[buf])
    return LayerPerf(
        compute_cycles=compute, stall_cycles=stall, macs=0, effectual_macs=0, utilization=0.0,
        mapping_efficiency=0.0, sram_read_bytes=sram_rd, sram_write_bytes=sram_wr, dram_read_bytes=read_bytes,
        dram_write_bytes=write_bytes, actions=actions, vector_ops=ops,
        sparsity_source=layer.weight_sparsity.source,
        details={"unit": "vector", "lanes": lanes, "dram_stall_cycles": stall},
    )
