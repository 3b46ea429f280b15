"""The tensor-core datapath's per-layer and per-network facts, as typed records."""

from __future__ import annotations

from dataclasses import dataclass

from cosim.perf import Details

# Below this share of issued math doing useful MACs, a compute-bound GEMM is reported as bound by its
# tiles (cosim.perf.BOUNDS): a reporting threshold, not a model parameter (where the time split is
# taken, cosim/attribution.py, the tiles' share exceeds the MACs' exactly below it).
TILE_BOUND_EFFICIENCY = 0.5


def kernel_time_split(overhead: float, compute: float, memory: float, tile_efficiency: float) -> dict[str, float]:
    """A kernel's time is overhead + max(compute, memory) (gemm_timing.py): the overhead's share, and the
    rest to the roofline side; math time splits by the tile efficiency into the useful MACs'
    (``compute``) and the idle math of padded tiles and part-filled waves (``tiles``)."""
    rest = max(compute, memory)
    total = overhead + rest
    if total <= 0:
        return {"overhead": 1.0}
    if memory > compute:
        parts = (("overhead", overhead), ("memory", rest))
    else:
        eff = min(max(tile_efficiency, 0.0), 1.0)
        parts = (("overhead", overhead), ("compute", rest * eff), ("tiles", rest * (1.0 - eff)))
    return {k: v / total for k, v in parts if v > 0}


@dataclass(frozen=True)
class TensorCoreGemmDetails(Details):
    """The GEMM kernel a compute layer ran as (cosim/datapaths/tensor_core/gemm_timing.py)."""

    kernel: str  # dense | sparse
    precision: str
    pattern: str  # how the weights' sparsity ran
    math_speedup: float
    clock_mhz: float  # the clock the power cap allowed
    tile: tuple[int, int]
    tiles: int
    waves: int
    k_steps: int
    split_k: int
    mode: str
    bound: str  # compute | memory (the roofline side)
    l2_resident: bool
    time_us: float
    compute_us: float
    memory_us: float
    overhead_us: float
    tile_efficiency: float = 1.0  # useful MACs over the math the tiles and waves issue
    act_skipping: bool = False  # dual-side: activation zeros skipped (only where faster than not)
    act_imbalance: float = 1.0  # busiest lane / mean lane of a skipping step (1.0 without skipping)

    def time_split(self):
        return kernel_time_split(self.overhead_us, self.compute_us, self.memory_us, self.tile_efficiency)

    def fallback_note(self, layer, spec) -> str | None:
        sp = layer.weight_sparsity
        if not layer.has_weights or sp.is_dense or sp.kind == "channel":
            return None
        if self.math_speedup <= 1.0:
            return self.pattern
        if sp.kind == "nm" and abs(self.math_speedup - sp.m / sp.n) > 1e-9:
            return f"{self.pattern} ({self.math_speedup:g}x math, not the {sp.m / sp.n:g}x of {sp.label})"
        return None


@dataclass(frozen=True)
class TensorCoreVectorDetails(Details):
    """A memory-bound element-wise or reduction kernel."""

    kernel: str
    l2_resident: bool
    bytes_moved: int
    memory_us: float
    compute_us: float
    overhead_us: float

    def time_split(self):
        return kernel_time_split(self.overhead_us, self.compute_us, self.memory_us, 1.0)


@dataclass(frozen=True)
class TensorCoreNetworkDetails(Details):
    """What the network shares: the L2."""

    weights_l2_resident: bool
    weight_bytes: float
