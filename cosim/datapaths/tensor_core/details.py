"""The tensor-core datapath's per-layer and per-network facts, as typed records."""

from __future__ import annotations

from dataclasses import dataclass

from cosim.perf import Details


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


@dataclass(frozen=True)
class TensorCoreVectorDetails(Details):
    """A memory-bound element-wise or reduction kernel."""

    kernel: str
    l2_resident: bool
    bytes_moved: int
    memory_us: float
    compute_us: float
    overhead_us: float


@dataclass(frozen=True)
class TensorCoreNetworkDetails(Details):
    """What the network shares: the L2."""

    weights_l2_resident: bool
    weight_bytes: float
