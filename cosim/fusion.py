"""Element-wise layers fused into their producer, as inference compilers do it.

A batch norm folds into the preceding convolution's weights and bias, and an activation is applied to
each output as it leaves the array (TensorRT, the Vitis AI DPU compiler and FINN all do this), so these
layers cost neither cycles of their own nor a round trip through DRAM. cosim fuses an ``act`` or
``norm`` whose only input is a layer whose only consumer it is (conv → bn → relu, add → relu); the
fused layer still appears in the report, with zero cycles and traffic, its element operations priced
as ``vector:op`` (or a datapath's own action) and ``details.fused_into`` naming its owner.
"""

from __future__ import annotations

from cosim.graph import Layer, LayerGraph
from cosim.perf import FusedDetails, LayerPerf

FUSABLE_OPS = ("act", "norm")


def fused_owners(graph: LayerGraph) -> dict[str, str]:
    """Map each fused layer's name → the name of the layer whose output path absorbs it."""
    owner: dict[str, str] = {}
    for layer in graph.layers():
        preds = graph.predecessors(layer.name)
        if layer.op in FUSABLE_OPS and len(preds) == 1 and graph.successors(preds[0]) == [layer.name]:
            owner[layer.name] = owner.get(preds[0], preds[0])
    return owner


def fused_layer_perf(layer: Layer, owner: str, actions: dict[str, float] | None = None) -> LayerPerf:
    """A fused layer's LayerPerf: no cycles or traffic of its own; its element operations as actions."""
    return LayerPerf(compute_cycles=0, stall_cycles=0, macs=0, effectual_macs=0, utilization=0.0,
                     mapping_efficiency=1.0, sram_read_bytes={}, sram_write_bytes={}, dram_read_bytes=0,
                     dram_write_bytes=0, actions=actions if actions is not None else {"vector:op": layer.vector_ops},
                     vector_ops=layer.vector_ops, bound="fused", details=FusedDetails(owner))
