"""FPGA datapath: an overlay engine reused layer by layer (DPU-like) or a dataflow pipeline of one
engine per layer (FINN/hls4ml-like). Cycles, action counts and resource use per layer; network
totals from ``simulate_graph`` (a pipeline's throughput is set by its slowest stage and its latency
by the sum of stages, so they are not sums of layer cycles).

Overlay (``style: overlay``), per core and per image, for a convolution with C_in/g input channels
and N filters per group g (PG338's three parallelism dimensions):

    compute = g · out_h · ⌈out_w/PP⌉ · ⌈N/OCP⌉ · ⌈(C_in/g)/ICP⌉ · k_h · k_w · passes

PP output pixels of one row, OCP output channels and ICP input channels per cycle; ``passes`` =
⌈w/mac_bits⌉·⌈a/mac_bits⌉ for operands wider than the engine. Linear and matmul layers are 1×1
convolutions over their tokens; depthwise convolutions, pooling and element-wise layers run in the
ALU engine (alu_parallelism pixels × ICP channels per cycle). Feature maps and weights come from and
go back to DRAM every layer; a layer costs max(compute, DRAM transfer) + the first tile's load and
the engine's pipeline depth, its DRAM share being the core's AXI ports or DRAM/active cores.
``cores`` engines run different images: latency is one image on one core, throughput is
cores / (cycles per image with every core sharing DRAM).

Dataflow (``style: dataflow``): see cosim/datapaths/fpga/folding.py for the engine and folding
model. Throughput = clock / (the slowest stage's cycles per image, or the DRAM stream of the network's
input and output if slower); latency = FINN's critical-path estimate, the sum of stage times (plus
pipeline depths) along the longest path — conservative, since stages overlap within an image; a
batch takes latency + (batch − 1) · interval. Resources are the sum of the engines'. Batch/norm and activation layers directly after an engine are absorbed into it (FINN's
streamlining into thresholds; the DPU fuses them too) and cost only their LUT operations. Vector
layers (pool, add, standalone act/norm, softmax) are streaming stages in LUT logic with PE channel
lanes (cosim/datapaths/fpga/resources.py, vector_unit). Neither style skips zero activations.

Zero-weight skipping (``sparsity.mode: skip``) is used per layer only where it pays: a dataflow stage
takes a skip or a dense engine, whichever meets the pipeline's interval with fewer resources
(``engine_mode`` in its details), an overlay layer skips or runs dense, whichever is faster
(``zero_skipping``); a skip-mode design is so never slower than the same design without skipping.

Energy actions (priced by cosim/hw/data/fpga_ultrascale.yaml): ``dsp:mac_<int4|int8|int16|int32|
fp16|fp32>`` MACs on DSP slices, ``lut:op`` LUT evaluations (LUT multipliers, adder trees, vector
layers at ~one LUT per operand bit, LUTRAM reads per bit), ``bram:read_bit``/``write_bit``,
``uram:read_bit``/``write_bit``, ``dram:read_bit``/``write_bit``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.fusion import fused_layer_perf
from cosim.graph import Layer
from cosim.perf import Details, LayerPerf


@dataclass(frozen=True)
class PipelineTotals:
    """Network totals of an FPGA design: not the sum of the layers (see the module docstring)."""

    total_cycles: int
    latency_cycles: int
    throughput_inferences_per_s: float
    details: Details

def element_lut_ops(layer: Layer) -> float:
    """LUT operations of a vector layer: about one LUT per operand bit per element operation."""
    return float(layer.vector_ops * layer.act_bits)


def fused_perf(layer: Layer, owner: str) -> LayerPerf:
    return fused_layer_perf(layer, owner, {"lut:op": element_lut_ops(layer)})
