"""Spec of a sparse-tensor-core accelerator: a GPU (SMs, CTA tiles, a GEMM library, a power cap) or an
accelerator-like N:M engine (a few cores, one tile, no launch overhead) — one dataclass for both.

What it describes (the model is cosim/datapaths/tensor_core/model.py and gpu_gemm.py):

* ``sm_count`` cores, each with ``macs_per_cycle_per_sm`` dense MACs per cycle by precision
  (fp16/bf16/fp8/int8/...); ``clock_mhz`` is the highest clock the chip runs (cycles are counted at it).
* ``sparsity``: which N:M patterns the tensor cores skip (2:4 on Ampere/Hopper: m/n = 2x math). Only the
  weights are sparse unless ``dual_side_sparse``. A pattern the hardware cannot run runs dense, or, when
  ``unsupported_pattern: error``, stops with a one-line error.
* ``dense_kernel`` / ``sparse_kernel``: how the GEMM library runs a product — the CTA tiles it picks among,
  the per-kernel overhead, its split-K policy (:class:`GemmKernelSpec`).
* memory: ``feed_bytes_per_cycle_per_sm`` (L2 -> SM operand bandwidth), an L2 of ``l2_kib`` with an
  effective bandwidth for operands it holds, DRAM with ``dram_efficiency`` of its peak.
* ``power``: a power cap that lowers the sustained clock of heavy kernels (:class:`PowerSpec`).
* ``calibration``: name of a file in cosim/hw/data/ whose ``parameters`` fill the fields a preset leaves
  out (fitted values live there with the data and method they came from, e.g. h100_calibration.yaml).

Importing this module registers the kind ``sparse_tensor_core`` with cosim.hw.loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

from cosim.errors import CosimError, require
from cosim.hw.schema import from_mapping
from cosim.hw.spec import DramSpec, EnergySpec, SparseFeatures, SramSpec

# Precisions a tensor core may list; the names are the energy tables' mac:<precision> actions.
STC_PRECISIONS = ("int4", "int8", "fp8", "fp16", "bf16", "fp32")

DATA_DIR = Path(__file__).resolve().parent / "data"


def parse_nm(pattern: str) -> tuple[int, int]:
    """'2:4' -> (2, 4)."""
    n, m = pattern.split(":")
    return int(n), int(m)


@dataclass(frozen=True)
class GemmKernelSpec:
    """How a GEMM library (cuBLAS, cuSPARSELt, or an accelerator's compiler) runs one product.

    Tiles are (weight rows, tokens) of the output computed by one CTA/core; the reduction advances
    ``k_step`` elements per main-loop step. The model picks, among ``tiles``, the one with the least
    predicted time (cuBLAS's heuristics choose among a few dozen such configurations; a single entry
    pins the tile, as cuSPARSELt's default 2:4 kernel does: 128 x 256 x 64 on H100, seen in profiles).
    """

    # Defaults: one 128 x 128 tile, k_step 64 (assumption: a common tensor-core CTA tile); presets list
    # the tiles their library uses.
    tiles: tuple[tuple[int, int], ...] = ((128, 128),)
    k_step: int = 64
    # Fraction of the tensor-core peak one main-loop step sustains when operands keep up.
    mma_efficiency: float = 1.0
    # Per kernel, not overlapped with work: launch, prologue, epilogue setup (µs).
    overhead_us: float = 0.0
    # Split K over several CTAs when the tiles fill at most half the SMs and K has at least this many
    # steps, with at least ``split_k_steps_per_split`` steps per split. 0 disables split-K. The
    # presets' 18 / 9 are read off the split-K kernels the CUDA profiler shows on H100 (see
    # accelerators/h100-sxm.yaml); the default 9 only matters once split-K is enabled.
    split_k_min_k_steps: int = 0
    split_k_steps_per_split: int = 9
    # How partial sums are combined: "kernel" = a separate reduction kernel (cuBLAS splitKreduce),
    # "fixup" = in-kernel tree reduction costing fixup_us_per_level per level (cuSPARSELt segment-K).
    split_k_reduce: Literal["kernel", "fixup"] = "kernel"
    fixup_us_per_level: float = 0.0
    # Stream-K: a last wave at most half full is split over all SMs (costs one fixup level).
    stream_k: bool = False
    # Per-step slowdown when the token extent is not a multiple of the tile's token edge (the boundary
    # path of the library's kernel; measured for cuSPARSELt on H100, see h100_calibration.yaml).
    partial_tile_penalty: float = 1.0

    def __post_init__(self) -> None:
        require(len(self.tiles) >= 1, "tiles must list at least one [weight_rows, tokens] CTA tile")
        for t in self.tiles:
            require(len(t) == 2 and all(isinstance(v, int) and v >= 1 for v in t),
                    f"tiles entry {list(t)} must be two positive integers [weight_rows, tokens]")
        require(self.k_step >= 1, f"k_step must be >= 1, got {self.k_step}")
        require(0 < self.mma_efficiency <= 1, f"mma_efficiency must be in (0, 1], got {self.mma_efficiency}")
        require(self.overhead_us >= 0, f"overhead_us must be >= 0, got {self.overhead_us}")
        require(self.split_k_min_k_steps >= 0, "split_k_min_k_steps must be >= 0 (0 disables split-K)")
        require(self.split_k_steps_per_split >= 1, "split_k_steps_per_split must be >= 1")
        require(self.split_k_reduce in ("kernel", "fixup"), "split_k_reduce must be kernel or fixup")
        require(self.fixup_us_per_level >= 0, "fixup_us_per_level must be >= 0")
        require(self.partial_tile_penalty >= 1, f"partial_tile_penalty must be >= 1, got {self.partial_tile_penalty}")


@dataclass(frozen=True)
class PowerSpec:
    """Power cap -> sustained clock. With ``cap_w`` > 0 a kernel whose dynamic power at ``clock_mhz``
    (energy of its actions, priced by the energy table, per second) would push the board past the cap
    runs at the clock where it meets the cap; on-chip energy per action scales as
    (f / table_clock_mhz)^dvfs_exponent (2: supply voltage roughly proportional to clock in the DVFS
    range, E ∝ V²). The idle (static) power is ``energy.leakage_mw``."""

    cap_w: float = 0.0  # 0 = no cap: always clock_mhz
    table_clock_mhz: float = 0.0  # clock at which the energy table's on-chip energies hold; 0 = clock_mhz
    dvfs_exponent: float = 2.0  # E ∝ V² with V ∝ f (see the docstring): a first-order assumption

    def __post_init__(self) -> None:
        require(self.cap_w >= 0, f"power.cap_w must be >= 0, got {self.cap_w}")
        require(self.table_clock_mhz >= 0, f"power.table_clock_mhz must be >= 0, got {self.table_clock_mhz}")
        require(0 <= self.dvfs_exponent <= 4, f"power.dvfs_exponent must be in [0, 4], got {self.dvfs_exponent}")


@dataclass(frozen=True)
class SparseTensorCoreSpec:
    name: str
    sm_count: int
    macs_per_cycle_per_sm: dict[str, float]
    dense_kernel: GemmKernelSpec
    sparse_kernel: GemmKernelSpec
    feed_bytes_per_cycle_per_sm: float
    clock_mhz: float = 1000.0  # illustrative default; presets give the chip's clock
    reference_precision: str = "fp16"  # precision of peak_macs_per_cycle
    sparsity: SparseFeatures = field(
        default_factory=lambda: SparseFeatures(skipping="nm", nm_patterns=("2:4",), compressed_format="nm"))
    # activations skipped too (statistically, by act_density), each step waiting for its busiest lane
    # and feeding a 1-bit activation bitmap (cosim/datapaths/tensor_core/gemm_timing.py), where faster
    dual_side_sparse: bool = False
    unsupported_pattern: Literal["dense", "error"] = "dense"
    smem_kib_per_sm: float = 228.0  # H100: 228 KB shared memory per SM (H100 architecture whitepaper)
    smem_banks: int = 32  # 32 shared-memory banks per SM on NVIDIA GPUs (CUDA C++ Programming Guide)
    l2_kib: float = 0.0  # 0 = no L2
    l2_banks: int = 1
    l2_bandwidth_gb_per_s: float = 0.0  # effective bandwidth for operands the L2 holds
    l2_reuse: bool = True  # operands that fit in L2 are served from it (warm, repeated inference)
    dram: DramSpec = field(default_factory=DramSpec)
    dram_efficiency: float = 0.8  # fraction of DRAM peak a streaming kernel reaches (assumed default;
    #                               the H100 preset's fitted value is 0.814, h100_calibration.yaml)
    vector_efficiency: float = 0.0  # elementwise kernels' fraction of DRAM peak; 0 = dram_efficiency
    vector_lanes_per_sm: int = 128  # element ops per cycle per SM of the vector path (H100/A100: 128 FP32 lanes)
    power: PowerSpec = field(default_factory=PowerSpec)
    energy: EnergySpec = field(default_factory=EnergySpec)
    calibration: str = ""
    # Published die area (mm²) of the chip; 0 = estimate it from the MACs and SRAM (cosim/hw/area.py).
    die_area_mm2: float = 0.0
    kind: Literal["sparse_tensor_core"] = "sparse_tensor_core"
    description: str = ""

    def __post_init__(self) -> None:
        require(self.sm_count >= 1, f"sm_count must be >= 1, got {self.sm_count}")
        require(self.die_area_mm2 >= 0, f"die_area_mm2 must be >= 0 (0 = estimate), got {self.die_area_mm2}")
        require(0 < self.clock_mhz <= 10000, f"clock_mhz must be in (0, 10000], got {self.clock_mhz}")
        require(len(self.macs_per_cycle_per_sm) >= 1,
                "macs_per_cycle_per_sm must list at least one precision, e.g. {fp16: 1024}")
        for p, v in self.macs_per_cycle_per_sm.items():
            require(p in STC_PRECISIONS, f"macs_per_cycle_per_sm.{p}: unknown precision; use one of "
                                         f"{', '.join(STC_PRECISIONS)}")
            require(v > 0, f"macs_per_cycle_per_sm.{p} must be > 0, got {v}")
        require(self.reference_precision in self.macs_per_cycle_per_sm,
                f"reference_precision '{self.reference_precision}' is not listed in macs_per_cycle_per_sm")
        require(self.feed_bytes_per_cycle_per_sm > 0,
                f"feed_bytes_per_cycle_per_sm must be > 0, got {self.feed_bytes_per_cycle_per_sm}")
        require(self.sparsity.skipping in ("none", "nm"),
                f"sparsity.skipping '{self.sparsity.skipping}' cannot run on a sparse tensor core: it skips "
                "structured N:M patterns only; use 'nm' with nm_patterns, or 'none'")
        require(self.unsupported_pattern in ("dense", "error"), "unsupported_pattern must be dense or error")
        require(self.smem_kib_per_sm > 0 and self.smem_banks >= 1, "smem_kib_per_sm must be > 0 and smem_banks >= 1")
        require(self.l2_kib >= 0 and self.l2_banks >= 1, "l2_kib must be >= 0 and l2_banks >= 1")
        require(self.l2_bandwidth_gb_per_s >= 0, "l2_bandwidth_gb_per_s must be >= 0")
        require(self.l2_kib == 0 or self.l2_bandwidth_gb_per_s > 0,
                "l2_bandwidth_gb_per_s must be > 0 when the chip has an L2 (l2_kib > 0)")
        require(0 < self.dram_efficiency <= 1, f"dram_efficiency must be in (0, 1], got {self.dram_efficiency}")
        require(0 <= self.vector_efficiency <= 1, f"vector_efficiency must be in [0, 1], got {self.vector_efficiency}")
        require(self.vector_lanes_per_sm >= 1, f"vector_lanes_per_sm must be >= 1, got {self.vector_lanes_per_sm}")
        for kname in ("dense_kernel", "sparse_kernel"):
            k = getattr(self, kname)
            for tr, tt in k.tiles:
                smem_need = (tr + tt) * k.k_step * 2  # one fp16 stage of both operand tiles
                require(smem_need <= self.smem_kib_per_sm * 1024,
                        f"{kname}.tiles [{tr}, {tt}] needs {smem_need / 1024:.0f} KiB of shared memory per "
                        f"stage, more than smem_kib_per_sm {self.smem_kib_per_sm:g}; use a smaller tile")

    # ---- spec protocol --------------------------------------------------------------------------
    @property
    def peak_macs_per_cycle(self) -> float:
        """Dense MACs per cycle of the whole chip at ``reference_precision``."""
        return self.sm_count * self.macs_per_cycle_per_sm[self.reference_precision]

    @property
    def cycle_s(self) -> float:
        return 1.0 / (self.clock_mhz * 1e6)

    @property
    def dram_bytes_per_cycle(self) -> float:
        return self.dram.bandwidth_gb_per_s * 1e9 / (self.clock_mhz * 1e6)

    def sram_buffers(self) -> dict[str, SramSpec]:
        """On-chip buffers priced by the energy table: the SMs' shared memory (all SMs together) and L2."""
        out = {"smem": SramSpec(size_kib=self.smem_kib_per_sm * self.sm_count, banks=self.smem_banks * self.sm_count)}
        if self.l2_kib > 0:
            out["l2"] = SramSpec(size_kib=self.l2_kib, banks=self.l2_banks)
        return out

    # ---- helpers for the model --------------------------------------------------------------------
    def supported_patterns(self) -> list[tuple[int, int]]:
        if self.sparsity.skipping != "nm":
            return []
        return [parse_nm(p) for p in self.sparsity.nm_patterns]

    def precision_for_bits(self, bits: int) -> str:
        """The tensor-core precision a layer of ``bits``-wide operands runs at: the narrowest listed
        precision at least that wide (16-bit layers prefer fp16, then bf16; 8-bit int8, then fp8)."""
        width = {"int4": 4, "int8": 8, "fp8": 8, "fp16": 16, "bf16": 16, "fp32": 32}
        for p in ("int4", "int8", "fp8", "fp16", "bf16", "fp32"):
            if p in self.macs_per_cycle_per_sm and width[p] >= bits:
                return p
        raise CosimError(f"accelerator '{self.name}' has no tensor-core precision for {bits}-bit operands; "
                         f"add one to macs_per_cycle_per_sm (listed: {', '.join(self.macs_per_cycle_per_sm)})")


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


def calibration_parameters(name: str) -> dict[str, Any]:
    """The ``parameters`` mapping of calibration file ``cosim/hw/data/<name>.yaml`` (or a path)."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else DATA_DIR / f"{name}.yaml"
    if not path.is_file():
        raise CosimError(f"calibration: file '{name}' not found; give a calibration name in cosim/hw/data "
                         "(e.g. h100_calibration) or a YAML path")
    data = yaml.safe_load(path.read_text())
    params = data.get("parameters") if isinstance(data, Mapping) else None
    require(isinstance(params, Mapping), f"calibration file '{path}' has no 'parameters' mapping")
    return dict(params)


def build_spec(data: Mapping[str, Any]) -> SparseTensorCoreSpec:
    """Spec from a mapping; a ``calibration`` name fills the fields the mapping leaves out."""
    data = dict(data)
    if data.get("calibration"):
        require(isinstance(data["calibration"], str), "calibration: expected the name of a calibration file")
        data = _deep_merge(calibration_parameters(data["calibration"]), data)
    return from_mapping(SparseTensorCoreSpec, data)


def metadata_bits_per_kept(m: int) -> int:
    """Index bits per kept weight of an N:M pattern: which of the M slots it came from, ceil(log2 M)
    (2 bits for 2:4, as NVIDIA's sparse tensor cores store it)."""
    return max(1, math.ceil(math.log2(m))) if m > 1 else 0

