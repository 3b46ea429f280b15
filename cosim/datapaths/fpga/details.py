"""The FPGA datapath's per-layer and per-network facts, as typed records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from cosim.perf import Details


@dataclass(frozen=True)
class EngineFacts(Details):
    """How a matrix–vector engine was built (cosim/datapaths/fpga/folding.py compute_stage)."""

    weight_memory: str  # bram | uram | lutram
    weight_mem_width_bits: int
    weight_mem_depth: int
    accumulator_bits: int
    fold_cycles_per_position: float
    dense_fold: int
    line_buffer: str
    mac_class: str
    lut_multipliers: bool
    index_bits: int
    input_read_cycles: int
    engine_mode: str = "none"  # the engine built: none (dense) | skip | prune


@dataclass(frozen=True)
class VectorStageFacts(Details):
    """A streaming LUT-logic stage for a vector layer."""

    lanes: int


@dataclass(frozen=True)
class OverlayLayerDetails(Details):
    style: str
    images_per_core: int
    active_cores: int
    dram_bytes_per_cycle: float
    transfer_cycles: float
    fused: tuple[str, ...]
    engine_resources: Mapping[str, float]
    zero_skipping: bool = False  # this layer's zero weights were skipped (sparsity.mode: skip, where faster)

    def fallback_note(self, layer, spec) -> str | None:
        sp = layer.weight_sparsity
        if not layer.has_weights or sp.is_dense or sp.kind == "channel" or self.zero_skipping:
            return None
        if spec.sparsity.mode == "skip":
            return f"{sp.label} weights run dense: faster than skipping their zeros on this layer"
        return f"{sp.label} weights run dense: the overlay has no sparse engine (sparsity.mode: {spec.sparsity.mode})"


@dataclass(frozen=True)
class DataflowStageDetails(Details):
    style: str
    pe: int
    simd: int
    multipliers: int
    resources: Mapping[str, float]
    engine: EngineFacts | VectorStageFacts
    fused: tuple[str, ...]

    def fallback_note(self, layer, spec) -> str | None:
        sp = layer.weight_sparsity
        if layer.has_weights and not sp.is_dense and sp.kind != "channel" and spec.sparsity.mode == "none":
            return f"{sp.label} weights run dense: the engines skip no zeros (sparsity.mode: none)"
        if (layer.has_weights and not sp.is_dense and spec.sparsity.mode == "skip"
                and isinstance(self.engine, EngineFacts) and self.engine.engine_mode == "none"):
            return (f"{sp.label} weights run on a dense engine: it meets the pipeline's interval with "
                    "fewer resources than a zero-skipping one")
        return None

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update(out.pop("engine"))  # flat, as the report's details columns have always been
        return out


@dataclass(frozen=True)
class OverlayNetworkDetails(Details):
    style: str
    resources: Mapping[str, float]
    budget: Mapping[str, float]
    resource_breakdown: Mapping[str, Mapping[str, float]]
    cycles_per_image_all_cores_busy: int
    throughput_fps: float
    latency_s: float
    peak_macs_per_cycle: int


@dataclass(frozen=True)
class DataflowNetworkDetails(Details):
    style: str
    resources: Mapping[str, float]
    budget: Mapping[str, float]
    utilization_of_device: Mapping[str, float]
    initiation_interval_cycles: float
    bottleneck_layer: str
    first_inference_latency_cycles: float
    throughput_fps: float
    folding: Mapping[str, Mapping[str, int]]
    residual_fifo_resources: Mapping[str, float]
