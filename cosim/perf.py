"""What a datapath model returns for one layer: cycles and action counts, no energy.

Datapath models (cosim/datapaths/*) are plain functions ``simulate_layer(layer, spec) -> LayerPerf``.
Energy is computed afterwards from ``actions`` by cosim/energy.py, so an ASIC or FPGA energy table
swaps in without touching the models.

Action names are ``component:action`` (the component becomes a key of the report's energy_pj dict):

    mac:int8, mac:fp16, ...     MACs performed, by operand precision
    mac_gated:int8, ...         MAC slots whose zero operand was gated (clock/data gating)
    register:access             PE register-file reads + writes
    sram_<buffer>:read_byte     SRAM bytes read from buffer <buffer> (ifmap, filter, ofmap, ...)
    sram_<buffer>:write_byte    SRAM bytes written
    dram:read_bit, dram:write_bit
    vector:op                   element operations of vector layers (pool, add, norm, act)
    (datapaths may add their own, e.g. dsp:int8_mac, bram:read_bit, lut:op — with table entries)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class LayerPerf:
    compute_cycles: int
    stall_cycles: int
    macs: int  # dense MACs of the layer (the work asked for)
    effectual_macs: int  # MACs with both operands nonzero (or weights nonzero, per the sparsity model)
    utilization: float  # effectual MACs / (peak MACs per cycle · total cycles)
    mapping_efficiency: float  # fraction of PEs holding useful work, averaged over folds
    sram_read_bytes: Mapping[str, int]  # by buffer
    sram_write_bytes: Mapping[str, int]
    dram_read_bytes: int
    dram_write_bytes: int
    actions: Mapping[str, float]
    skipped_macs: int = 0  # zero MACs whose cycles were skipped
    gated_macs: int = 0  # zero MACs executed with gated energy
    metadata_bytes: int = 0  # sparse-format metadata moved (indices, bitmaps, N:M selectors)
    vector_ops: int = 0
    sparsity_source: str = "dense"  # dense | mask | statistical
    details: Mapping[str, Any] = field(default_factory=dict)  # datapath-specific (folds, imbalance, ...)

    @property
    def total_cycles(self) -> int:
        return self.compute_cycles + self.stall_cycles


@dataclass(frozen=True)
class GraphPerf:
    """Network-level totals for datapaths where they are not the sum of layers (FPGA dataflow
    pipelines: latency = sum of stages, throughput = slowest stage)."""

    total_cycles: int
    latency_cycles: int
    throughput_inferences_per_s: float
    details: Mapping[str, Any] = field(default_factory=dict)
