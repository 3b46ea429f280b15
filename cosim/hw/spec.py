"""Accelerator specs shared by every datapath, and the systolic-array spec.

Specs are frozen dataclasses that check themselves when built (field ranges and cross-field rules), so
a spec that exists is a spec the models can run. YAML files map one to one onto these fields
(``cosim.hw.loader``); each datapath kind registers its own spec class there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from cosim.errors import require

DATAFLOWS = ("os", "ws", "is")
DRAM_TECHNOLOGIES = ("lpddr4", "hbm2", "hbm3", "ddr3", "ddr4", "gddr5", "gddr6")


# ---- derived quantities, as formulas over scalars or arrays (specs and cosim.hw.designs share them) ----
def kib_to_bytes(size_kib):
    """Bytes of a size in KiB, rounded to the nearest byte (half to even, as Python's round)."""
    if np.ndim(size_kib):
        return np.round(np.asarray(size_kib, dtype=np.float64) * 1024).astype(np.int64)
    return int(round(size_kib * 1024))


def sram_peak_bytes_per_cycle(banks, ports, bank_width_bytes):
    """Bytes per cycle a banked SRAM delivers: banks · ports · width; inf where width is 0 (ideal)."""
    if np.ndim(bank_width_bytes):
        width = np.asarray(bank_width_bytes, dtype=np.float64)
        return np.where(width == 0, np.inf, np.asarray(banks) * np.asarray(ports) * width)
    return float("inf") if bank_width_bytes == 0 else float(banks * ports * bank_width_bytes)


# Stated input ranges (beyond them a cycle count leaves exact integer range or the spec is not a chip):
# 1 MB/s is far below any DRAM interface; 1e9 GB/s stands for unlimited bandwidth (H200: 4.8 TB/s,
# NVIDIA H200 datasheet); 1 GiB KiB (1 TiB) of on-chip SRAM exceeds any wafer-scale part (Cerebras
# WSE-3: 44 GB, Cerebras product brief).
MIN_DRAM_GBPS = 1e-3
MAX_DRAM_GBPS = 1e9  # also the tests' "unlimited bandwidth" idealisation
MAX_SRAM_KIB = 2**30


def dram_bytes_per_cycle(bandwidth_gb_per_s, clock_mhz):
    """DRAM bytes per clock cycle: GB/s · 1e9 / (MHz · 1e6)."""
    return bandwidth_gb_per_s * 1e9 / (clock_mhz * 1e6)


def cycle_s(clock_mhz):
    """Seconds per clock cycle."""
    return 1.0 / (clock_mhz * 1e6)


@dataclass(frozen=True)
class SramSpec:
    """One on-chip SRAM buffer. ``size_kib`` is the whole buffer (both halves when double-buffered)."""

    size_kib: float
    word_bytes: int = 1
    banks: int = 1
    ports: int = 2  # read/write ports per bank (SCALE-Sim's *SRAMBankPort)
    bank_width_bytes: int = 0  # bytes one bank delivers per port per cycle; 0 = unlimited (ideal SRAM)

    def __post_init__(self) -> None:
        require(0 < self.size_kib <= MAX_SRAM_KIB, f"size_kib must be in (0, {MAX_SRAM_KIB}], got {self.size_kib}")
        require(self.word_bytes >= 1, f"word_bytes must be >= 1, got {self.word_bytes}")
        require(self.banks >= 1, f"banks must be >= 1, got {self.banks}")
        require(self.ports >= 1, f"ports must be >= 1, got {self.ports}")
        require(self.bank_width_bytes >= 0, f"bank_width_bytes must be >= 0, got {self.bank_width_bytes}")

    @property
    def size_bytes(self) -> int:
        return kib_to_bytes(self.size_kib)

    @property
    def size_words(self) -> int:
        return self.size_bytes // self.word_bytes

    @property
    def peak_bytes_per_cycle(self) -> float:
        """Bytes per cycle the banks can deliver; inf for an ideal (unlimited) SRAM."""
        return sram_peak_bytes_per_cycle(self.banks, self.ports, self.bank_width_bytes)


@dataclass(frozen=True)
class SramHierarchy:
    """The three operand buffers of a SCALE-Sim-style accelerator."""

    ifmap: SramSpec
    filter: SramSpec
    ofmap: SramSpec
    # Double buffering: half of each buffer is filled from DRAM while the other half feeds the array.
    double_buffered: bool = True

    def buffers(self) -> dict[str, SramSpec]:
        return {"ifmap": self.ifmap, "filter": self.filter, "ofmap": self.ofmap}


@dataclass(frozen=True)
class DramSpec:
    # Illustrative defaults, equal to the SCALE-Sim presets' 10 GB/s (SCALE-Sim's default 10 words/cycle
    # of 1-byte words at 1 GHz, accelerators/scalesim-32x32-*.yaml); the technology only picks the
    # default DRAM energy.
    technology: str = "lpddr4"
    bandwidth_gb_per_s: float = 10.0  # 1 GB = 1e9 bytes
    # Energy per bit moved; default per technology in cosim/hw/data/horowitz45.yaml (Accelergy DRAM figures).
    energy_pj_per_bit: float = 0.0  # 0 = take the technology's default from the energy table

    def __post_init__(self) -> None:
        require(self.technology in DRAM_TECHNOLOGIES,
                f"dram.technology '{self.technology}' is unknown; use one of {', '.join(DRAM_TECHNOLOGIES)}")
        require(MIN_DRAM_GBPS <= self.bandwidth_gb_per_s <= MAX_DRAM_GBPS,
                f"dram.bandwidth_gb_per_s must be in [{MIN_DRAM_GBPS}, {MAX_DRAM_GBPS}] GB/s, got {self.bandwidth_gb_per_s}")
        require(self.energy_pj_per_bit >= 0, f"dram.energy_pj_per_bit must be >= 0, got {self.energy_pj_per_bit}")


@dataclass(frozen=True)
class EnergySpec:
    """Which energy table to use and how to scale it; see cosim/hw/energy_tables.py."""

    table: str = "horowitz45"  # name of a table in cosim/hw/data/
    technology_nm: float = 45.0  # target node; per-action energies are scaled from the table's node
    leakage_mw: float = 0.0  # static power charged for the run's latency (fixed part: board, I/O, idle)
    # "area": add each component's area × the node's leakage density (cosim/hw/static_power.py,
    # cosim/hw/data/leakage.yaml) to leakage_mw; "fixed": leakage_mw only (measured idle power).
    leakage_model: Literal["fixed", "area"] = "fixed"
    overrides_pj: dict[str, float] = field(default_factory=dict)  # action name → pJ, wins over the table

    def __post_init__(self) -> None:
        require(3 <= self.technology_nm <= 180, f"energy.technology_nm must be in 3..180 nm, got {self.technology_nm}")
        require(self.leakage_mw >= 0, f"energy.leakage_mw must be >= 0, got {self.leakage_mw}")
        require(self.leakage_model in ("fixed", "area"),
                f"energy.leakage_model '{self.leakage_model}' is unknown; use fixed or area")
        for k, v in self.overrides_pj.items():
            require(v >= 0, f"energy.overrides_pj.{k} must be >= 0, got {v}")


@dataclass(frozen=True)
class PEArraySpec:
    rows: int
    cols: int
    dataflow: Literal["os", "ws", "is"] = "ws"
    mac_bits: int = 8  # operand precision of one MAC
    # Operand/accumulator registers local to each PE. 4 bytes is an assumption; it only sizes the
    # register file that prices register:access (cosim/hw/energy_tables.py).
    register_bytes_per_pe: int = 4

    def __post_init__(self) -> None:
        require(self.rows >= 1, f"pe_array.rows must be >= 1, got {self.rows}")
        require(self.cols >= 1, f"pe_array.cols must be >= 1, got {self.cols}")
        require(self.dataflow in DATAFLOWS, f"pe_array.dataflow '{self.dataflow}' is unknown; use os, ws or is")
        require(self.mac_bits in (1, 2, 4, 8, 16, 32), f"pe_array.mac_bits must be 1, 2, 4, 8, 16 or 32, got {self.mac_bits}")
        require(self.register_bytes_per_pe >= 0, "pe_array.register_bytes_per_pe must be >= 0")


@dataclass(frozen=True)
class SparseFeatures:
    """What the datapath does with zeros. Each feature says what it saves (DESIGN.md):
    gating saves energy only; skipping saves cycles and energy; compression saves storage and
    bandwidth but costs metadata."""

    zero_gating: bool = False
    skipping: Literal["none", "nm", "unstructured"] = "none"
    nm_patterns: tuple[str, ...] = ()  # e.g. ("2:4", "1:4") for structured skipping
    compressed_format: Literal["none", "bitmap", "csr", "rle", "nm"] = "none"
    # Unstructured skipping needs lanes that run at their own pace (operand buffers, any-index
    # selection, SIGMA-like; cosim/hw/sparse_overheads.py prices them). A rigid array without them
    # (false) keeps its lanes in lockstep and skips no cycles; zero gating still saves energy.
    lane_decoupling: bool = False

    def __post_init__(self) -> None:
        require(isinstance(self.lane_decoupling, bool), "sparsity.lane_decoupling must be true or false")
        require(self.skipping in ("none", "nm", "unstructured"),
                f"sparsity.skipping '{self.skipping}' is unknown; use none, nm or unstructured")
        require(self.compressed_format in ("none", "bitmap", "csr", "rle", "nm"),
                f"sparsity.compressed_format '{self.compressed_format}' is unknown; use none, bitmap, csr, rle or nm")
        for p in self.nm_patterns:
            parts = p.split(":")
            ok = len(parts) == 2 and all(s.isdigit() for s in parts) and 1 <= int(parts[0]) <= int(parts[1])
            require(ok, f"sparsity.nm_patterns entry '{p}' is not N:M with 1 <= N <= M (e.g. '2:4')")
        require(self.skipping != "nm" or self.nm_patterns,
                "sparsity.skipping is 'nm' but sparsity.nm_patterns is empty; list the supported patterns, e.g. ['2:4']")


@dataclass(frozen=True)
class SystolicSpec:
    """A SCALE-Sim-style systolic array: PE grid, three SRAM buffers, DRAM.

    ``timing``: ``physical`` uses cosim's own fold latency (see cosim/datapaths/systolic/layer.py);
    ``scalesim`` reproduces SCALE-Sim 3.0.0's cycle counts exactly.
    ``scalesim_ifmap`` (scalesim timing): ``replay`` counts the DRAM ifmap reads of a convolution whose
    windows overlap and whose input outgrows SCALE-Sim's estimate buffer by replaying its demand
    (exact; about 1 ms per distinct layer, array and buffer case in a sweep, cosim/datapaths/systolic/scalesim_replay.py); ``strips``
    uses the closed-form strip model instead (microseconds, for sweeps: exact where the input fits or
    windows do not overlap, otherwise off by up to 74%; cosim/datapaths/systolic/scalesim_timing.py).
    ``dual_side_sparse``: activation zeros (``layer.act_density``, a statistical model) are gated,
    skipped and compressed like weight zeros, as ``sparsity`` says; off, activations count as dense.
    ``mapper`` (physical timing): the objective by which cosim/datapaths/systolic/mapper.py picks each
    layer's loop order and SRAM tiles (``latency`` then energy, ``energy`` then latency, ``edp``), or
    ``off`` for the fixed loop order and strip tiling of cosim/datapaths/systolic/tiling.py.
    ``unsupported_pattern``: with N:M skipping, a sparse layer whose weights fit none of
    ``sparsity.nm_patterns`` runs dense (``dense``) or stops with an error (``error``).
    (cosim/datapaths/systolic/sparse.py; the same two keys as the sparse tensor core spec.)
    """

    name: str
    pe_array: PEArraySpec
    sram: SramHierarchy
    dram: DramSpec = field(default_factory=DramSpec)
    clock_mhz: float = 1000.0  # illustrative default (the SCALE-Sim presets also run at 1 GHz)
    energy: EnergySpec = field(default_factory=EnergySpec)
    timing: Literal["physical", "scalesim"] = "physical"
    sparsity: SparseFeatures = field(default_factory=SparseFeatures)
    kind: Literal["systolic"] = "systolic"
    description: str = ""
    dual_side_sparse: bool = False
    unsupported_pattern: Literal["dense", "error"] = "dense"
    mapper: Literal["latency", "energy", "edp", "off"] = "latency"
    scalesim_ifmap: Literal["replay", "strips"] = "replay"

    # The fields (dotted prefixes) this spec's energy table depends on (cosim/hw/energy_tables.py
    # spec_table_key reads nothing else), so designs that agree on them share a table.
    ENERGY_FIELDS: ClassVar[tuple[str, ...]] = ("energy", "sram", "pe_array.register_bytes_per_pe",
                                                "pe_array.mac_bits", "dram.technology", "dram.energy_pj_per_bit")
    # The fields the sparse plans of cosim/datapaths/systolic/sparse.py read (besides the name).
    SPARSE_FIELDS: ClassVar[tuple[str, ...]] = ("sparsity", "dual_side_sparse", "unsupported_pattern")

    def __post_init__(self) -> None:
        require(self.unsupported_pattern in ("dense", "error"),
                f"unsupported_pattern '{self.unsupported_pattern}' is unknown; use dense or error")
        require(0 < self.clock_mhz <= 10000, f"clock_mhz must be in (0, 10000], got {self.clock_mhz}")
        require(self.timing in ("physical", "scalesim"), f"timing '{self.timing}' is unknown; use physical or scalesim")
        require(self.mapper in MAPPER_OBJECTIVES,
                f"mapper '{self.mapper}' is unknown; use one of {', '.join(MAPPER_OBJECTIVES)}")
        require(self.scalesim_ifmap in ("replay", "strips"),
                f"scalesim_ifmap '{self.scalesim_ifmap}' is unknown; use replay or strips")
        # A buffer must hold at least one operand row/column for the array, or nothing can stream.
        pe = self.pe_array
        half = 2 if self.sram.double_buffered else 1
        for bname, need_words in _EDGE_WORDS:
            buf = self.sram.buffers()[bname]
            have = buf.size_words // half
            need = getattr(pe, need_words)
            require(have >= need,
                    f"sram.{bname}.size_kib holds {have} words per buffer half, fewer than one "
                    f"{need}-word tile edge of the {pe.rows}x{pe.cols} array; enlarge it")

    @staticmethod
    def batch_violations(designs: Any) -> np.ndarray:
        """Which of ``designs`` (cosim.hw.designs.Designs of this class) break a rule of
        ``__post_init__``: the same rules over columns (the nested specs check themselves)."""
        clock = designs.value("clock_mhz").astype(np.float64)
        bad = ~((clock > 0) & (clock <= 10000))
        bad |= ~np.isin(designs.value("unsupported_pattern"), ("dense", "error"))
        bad |= ~np.isin(designs.value("timing"), ("physical", "scalesim"))
        bad |= ~np.isin(designs.value("mapper"), MAPPER_OBJECTIVES)
        bad |= ~np.isin(designs.value("scalesim_ifmap"), ("replay", "strips"))
        half = np.where(designs.value("sram.double_buffered").astype(bool), 2, 1)
        for bname, need_words in _EDGE_WORDS:
            words = kib_to_bytes(designs.value(f"sram.{bname}.size_kib")) // designs.value(f"sram.{bname}.word_bytes")
            bad |= words // half < designs.value(f"pe_array.{need_words}")
        return bad

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.pe_array.rows * self.pe_array.cols

    def sram_buffers(self) -> dict[str, SramSpec]:
        """On-chip buffers by name (energy tables price ``sram_<name>:read_byte`` from their size)."""
        return self.sram.buffers()

    @property
    def dram_bytes_per_cycle(self) -> float:
        return dram_bytes_per_cycle(self.dram.bandwidth_gb_per_s, self.clock_mhz)

    @property
    def cycle_s(self) -> float:
        return cycle_s(self.clock_mhz)


MAPPER_OBJECTIVES = ("latency", "energy", "edp", "off")

# Buffer → the array edge (PEArraySpec field) one buffer half must hold: the ifmap feeds the rows,
# the filter and ofmap buffers the columns.
_EDGE_WORDS = (("ifmap", "rows"), ("filter", "cols"), ("ofmap", "cols"))
