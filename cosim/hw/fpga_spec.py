"""FPGA accelerator specs: the board (device resources, clock, off-chip memory) and the accelerator
style built on it.

Two styles (``style``):

* ``overlay`` — one engine of PP × ICP × OCP MACs (pixel, input-channel and output-channel
  parallelism, as in AMD/Xilinx's DPUCZDX8G, PG338) reused layer after layer; feature maps and
  weights live in DRAM between layers; ``cores`` identical engines run independent inferences.
* ``dataflow`` — one engine per layer, all layers resident on chip and streaming into each other
  (FINN, Umuroglu et al. FPGA 2017 / Blott et al. TRETS 2018; hls4ml, Duarte et al. JINST 2018).
  Each engine is folded by PE (output channels in parallel) and SIMD (reduction elements in
  parallel); folding is chosen automatically (cosim/datapaths/fpga/folding.py) or given per layer.

YAML files map one to one onto these dataclasses (``kind: fpga``). Board figures are cited in the
preset files (accelerators/zcu102*.yaml, zcu104*.yaml, u250*.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from cosim.errors import require
from cosim.hw.schema import from_mapping
from cosim.hw.spec import DramSpec, EnergySpec, SramSpec

BRAM36_KIB = 36 * 1024 / 8 / 1024  # one BRAM36 holds 36 Kib = 4.5 KiB (UG573)
URAM_KIB = 288 * 1024 / 8 / 1024  # one URAM288 holds 288 Kib = 36 KiB (UG573)


@dataclass(frozen=True)
class FpgaDevice:
    """Programmable-logic resources of the FPGA part, and how much of them a design may use.

    ``*_limit``: usable fraction for timing closure; the defaults are FINN's DEFAULT_RES_LIMITS
    (src/finn/util/platforms.py: LUT 0.7, BRAM 0.8, URAM 0.8, DSP 0.8, "recommended resource limits
    from Xilinx for timing closure"). ``reserved_*``: resources taken by the platform shell before
    the accelerator gets any (Alveo shells, soft memory controllers; 0 on Zynq, whose DDR controller
    is hard).
    """

    part: str
    lut: int
    dsp: int
    bram36: int
    uram: int = 0
    ff: int = 0
    lut_limit: float = 0.7
    dsp_limit: float = 0.8
    bram_limit: float = 0.8
    uram_limit: float = 0.8
    reserved_lut: int = 0
    reserved_dsp: int = 0
    reserved_bram36: int = 0
    reserved_uram: int = 0

    def __post_init__(self) -> None:
        for f in ("lut", "dsp", "bram36"):
            require(getattr(self, f) >= 1, f"device.{f} must be >= 1, got {getattr(self, f)}")
        for f in ("uram", "ff", "reserved_lut", "reserved_dsp", "reserved_bram36", "reserved_uram"):
            require(getattr(self, f) >= 0, f"device.{f} must be >= 0, got {getattr(self, f)}")
        for f in ("lut_limit", "dsp_limit", "bram_limit", "uram_limit"):
            v = getattr(self, f)
            require(0.0 < v <= 1.0, f"device.{f} must be in (0, 1], got {v}")
        for res in ("lut", "dsp", "bram36", "uram"):
            require(getattr(self, f"reserved_{res}") <= getattr(self, res),
                    f"device.reserved_{res} exceeds device.{res}; the shell cannot take more than the part has")

    def budget(self) -> dict[str, float]:
        """Resources the accelerator may use: (total − reserved) × usable fraction, by resource."""
        return {
            "lut": (self.lut - self.reserved_lut) * self.lut_limit,
            "dsp": (self.dsp - self.reserved_dsp) * self.dsp_limit,
            "bram36": (self.bram36 - self.reserved_bram36) * self.bram_limit,
            "uram": (self.uram - self.reserved_uram) * self.uram_limit,
        }


@dataclass(frozen=True)
class ArithmeticSpec:
    """How multiplies are built.

    ``multipliers``: ``auto`` puts a multiply in LUTs when both operands have at most
    ``lut_multiplier_max_bits`` bits (FINN's practice for few-bit networks) and in DSP48E2 slices
    otherwise; ``dsp`` / ``lut`` force one kind. ``number_format`` says whether operands wider than
    8 bits are fixed point (``int``, hls4ml's ap_fixed) or floating point (``float``: fp16/fp32 cores).
    """

    multipliers: Literal["auto", "dsp", "lut"] = "auto"
    # 3 bits (assumption): binary, ternary and few-bit products go to LUTs, 4-bit and wider to DSPs
    # (which pack four int4 MACs, WP521).
    lut_multiplier_max_bits: int = 3
    number_format: Literal["int", "float"] = "int"

    def __post_init__(self) -> None:
        require(self.multipliers in ("auto", "dsp", "lut"),
                f"arithmetic.multipliers '{self.multipliers}' is unknown; use auto, dsp or lut")
        require(0 <= self.lut_multiplier_max_bits <= 16,
                f"arithmetic.lut_multiplier_max_bits must be in 0..16, got {self.lut_multiplier_max_bits}")
        require(self.number_format in ("int", "float"),
                f"arithmetic.number_format '{self.number_format}' is unknown; use int or float")


@dataclass(frozen=True)
class OverlaySpec:
    """A DPU-like engine: per cycle PP output pixels × OCP output channels, each reducing ICP input
    channels (PG338 'Architecture of the DPUCZDX8G': B4096 = 8 × 16 × 16 = 2048 MACs = 4096 ops).

    ``dsp_double_pumped``: the DSP slices run at twice the engine clock (PG338 'DPUCZDX8G with
    Enhanced Usage of DSP'), halving the DSP count. ``alu_parallelism``: pixels per cycle of the ALU
    engine that runs depthwise convolution and pooling (PG338 v4.1 'DepthwiseConv (ALU)', recommended
    PP/2). ``axi_bytes_per_cycle``: the data ports of one core (two 128-bit AXI masters → 32 B/cycle).
    Buffers are the on-chip weight and feature-map banks of one core; their sizes, the engine's
    ``pipeline_depth_cycles`` and its ``control_luts`` are not published and are assumptions
    (scripts/validate_fpga.py compares the resulting LUT/BRAM totals with PG338's B4096 figures).
    ``channel_augmentation``: when a
    layer has fewer input channels than ICP, the idle channel lanes take further kernel-width taps
    (PG338 'Channel Augmentation'; cosim models it as ⌈C_in·k_w/ICP⌉·k_h steps instead of
    ⌈C_in/ICP⌉·k_h·k_w).
    """

    pixel_parallelism: int = 8
    input_channel_parallelism: int = 16
    output_channel_parallelism: int = 16
    cores: int = 1
    mac_bits: int = 8
    dsp_double_pumped: bool = True
    alu_parallelism: int = 4
    axi_bytes_per_cycle: float = 32.0
    weight_buffer_kib: float = 512.0
    act_buffer_kib: float = 256.0
    weight_bank_memory: Literal["bram", "uram"] = "bram"
    act_bank_memory: Literal["bram", "uram"] = "bram"
    pipeline_depth_cycles: int = 32
    control_luts: int = 10000
    channel_augmentation: bool = False

    def __post_init__(self) -> None:
        for f in ("pixel_parallelism", "input_channel_parallelism", "output_channel_parallelism", "cores",
                  "alu_parallelism"):
            require(getattr(self, f) >= 1, f"overlay.{f} must be >= 1, got {getattr(self, f)}")
        require(self.mac_bits in (4, 8, 16), f"overlay.mac_bits must be 4, 8 or 16, got {self.mac_bits}")
        require(self.axi_bytes_per_cycle > 0,
                f"overlay.axi_bytes_per_cycle must be > 0, got {self.axi_bytes_per_cycle}")
        require(self.weight_buffer_kib > 0 and self.act_buffer_kib > 0,
                "overlay.weight_buffer_kib and overlay.act_buffer_kib must be > 0")
        for f in ("weight_bank_memory", "act_bank_memory"):
            require(getattr(self, f) in ("bram", "uram"), f"overlay.{f} must be bram or uram, got {getattr(self, f)!r}")
        require(self.pipeline_depth_cycles >= 0 and self.control_luts >= 0,
                "overlay.pipeline_depth_cycles and overlay.control_luts must be >= 0")

    @property
    def macs_per_cycle(self) -> int:
        """MACs per cycle of one core."""
        return self.pixel_parallelism * self.input_channel_parallelism * self.output_channel_parallelism


@dataclass(frozen=True)
class LayerFolding:
    """A user-given folding of one dataflow engine: PE and SIMD, or an hls4ml-style reuse factor."""

    pe: int = 0
    simd: int = 0
    reuse_factor: int = 0

    def __post_init__(self) -> None:
        require(self.pe >= 0 and self.simd >= 0 and self.reuse_factor >= 0,
                "folding entries need pe, simd, reuse_factor >= 1")
        require(bool(self.reuse_factor) != bool(self.pe or self.simd),
                "a folding entry gives either {pe, simd} or {reuse_factor}, not both and not neither")


@dataclass(frozen=True)
class DataflowSpec:
    """FINN-style streaming pipeline: one engine per layer, weights on chip.

    ``folding``: per-layer PE/SIMD (or reuse factor) by layer name; layers not listed are folded
    automatically. ``folding_file``: a YAML file with the same mapping (read at simulation time).
    ``target_fps``: 0 → the fastest pipeline that fits; > 0 → the cheapest one that reaches it.
    ``memory``: where weights go — ``auto`` (LUTRAM when shallow, else BRAM or URAM, whichever takes
    fewer BRAM36-equivalents), ``prefer_uram`` (as auto, deep memories in URAM), or forced ``bram`` /
    ``uram`` / ``lutram``. With ``auto`` on a part with URAM the pipeline is also folded with
    ``prefer_uram`` and the faster design that fits is kept.
    """

    folding: dict[str, LayerFolding] = field(default_factory=dict)
    folding_file: str = ""
    target_fps: float = 0.0
    memory: Literal["auto", "prefer_uram", "bram", "uram", "lutram"] = "auto"
    # Words of the stream FIFO after every stage: 32 = one SRL32 per bit (UG574), an assumption for a
    # shallow inter-stage FIFO (FINN sizes its FIFOs by simulation); it costs LUTs only.
    fifo_depth: int = 32

    def __post_init__(self) -> None:
        require(self.target_fps >= 0, f"dataflow.target_fps must be >= 0, got {self.target_fps}")
        require(self.memory in ("auto", "prefer_uram", "bram", "uram", "lutram"),
                f"dataflow.memory '{self.memory}' is unknown; use auto, prefer_uram, bram, uram or lutram")
        require(self.fifo_depth >= 2, f"dataflow.fifo_depth must be >= 2, got {self.fifo_depth}")


@dataclass(frozen=True)
class FpgaSparsity:
    """What the datapath does with pruned (zero) weights.

    * ``none``  — dense engines: zeros are multiplied like any weight.
    * ``skip``  — zero-skipping engines: weights stored compressed (value + index), each lane fetches
      the activation its weight's index names; cycles follow the nonzeros of the slowest lane.
    * ``prune`` — pruned weights removed at synthesis (hls4ml-style unrolled sparse layers):
      fewer multipliers and less weight memory, same initiation interval.
    """

    mode: Literal["none", "skip", "prune"] = "none"

    def __post_init__(self) -> None:
        require(self.mode in ("none", "skip", "prune"),
                f"sparsity.mode '{self.mode}' is unknown; use none, skip or prune")


@dataclass(frozen=True)
class FpgaSpec:
    """An FPGA accelerator: board + style (see the module docstring)."""

    name: str
    device: FpgaDevice
    style: Literal["overlay", "dataflow"]
    clock_mhz: float
    board: str = ""
    # Default DRAM: one 64-bit DDR4-2400 channel, 8 B x 2.4 GT/s = 19.2 GB/s (the Zynq UltraScale+ PS
    # DDR4 of the ZCU102/ZCU104 presets, DS925).
    dram: DramSpec = field(default_factory=lambda: DramSpec(technology="ddr4", bandwidth_gb_per_s=19.2))
    # Fraction of the DRAM's peak bandwidth its controller sustains on the accelerator's traffic
    # (refresh, page misses, read/write turnarounds, several masters interleaving). Default 1.0 = ideal;
    # the presets set 0.7 (cited there).
    dram_efficiency: float = 1.0
    overlay: OverlaySpec | None = None
    dataflow: DataflowSpec = field(default_factory=DataflowSpec)
    arithmetic: ArithmeticSpec = field(default_factory=ArithmeticSpec)
    sparsity: FpgaSparsity = field(default_factory=FpgaSparsity)
    energy: EnergySpec = field(default_factory=lambda: EnergySpec(table="fpga_ultrascale", technology_nm=16))
    kind: Literal["fpga"] = "fpga"
    description: str = ""

    def __post_init__(self) -> None:
        require(0 < self.clock_mhz <= 1000, f"clock_mhz must be in (0, 1000] for an FPGA fabric, got {self.clock_mhz}")
        require(0.0 < self.dram_efficiency <= 1.0, f"dram_efficiency must be in (0, 1], got {self.dram_efficiency}")
        require(self.style in ("overlay", "dataflow"), f"style '{self.style}' is unknown; use overlay or dataflow")
        require(self.style != "overlay" or self.overlay is not None,
                "style is 'overlay' but the spec has no 'overlay' section; add overlay: {pixel_parallelism: ..., ...}")

    # ---- spec protocol -------------------------------------------------------------------------
    @property
    def cycle_s(self) -> float:
        return 1.0 / (self.clock_mhz * 1e6)

    @property
    def dram_bytes_per_cycle(self) -> float:
        """Sustained DRAM bytes per fabric cycle: peak bandwidth × dram_efficiency."""
        return self.dram.bandwidth_gb_per_s * 1e9 * self.dram_efficiency / (self.clock_mhz * 1e6)

    @property
    def peak_macs_per_cycle(self) -> int:
        """Overlay: all cores' engines. Dataflow: the MACs per cycle of the usable DSPs at int8
        (two MACs per DSP48E2, WP486) — the ceiling any folding can reach with DSP multipliers."""
        if self.style == "overlay":
            assert self.overlay is not None
            return self.overlay.macs_per_cycle * self.overlay.cores
        return int(self.device.budget()["dsp"]) * 2

    def sram_buffers(self) -> dict[str, SramSpec]:
        """On-chip memories by kind: the device's BRAM36 pool and URAM pool (sizes in KiB)."""
        out = {"bram": SramSpec(size_kib=self.device.bram36 * BRAM36_KIB, banks=self.device.bram36)}
        if self.device.uram:
            out["uram"] = SramSpec(size_kib=self.device.uram * URAM_KIB, banks=self.device.uram)
        return out


def fpga_spec_from_mapping(data: Mapping[str, Any]) -> FpgaSpec:
    return from_mapping(FpgaSpec, data)

