"""cosim against published figures of real chips: one row per figure, cosim beside the published value
and their ratio.

  PYTHONPATH=. python scripts/validate_published.py

Bar: every ratio within 2x (exit 1 otherwise). Rows are :class:`Row` records in :data:`ROWS`; to add
a comparison, append a function returning rows to :data:`ROW_SOURCES` (each row cites its source).
Area rows read scripts/data/published_area.yaml; the Eyeriss, TPU and S2TA rows simulate the presets.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from cosim.hw.area import systolic_area_mm2
from cosim.hw.spec import EnergySpec, PEArraySpec, SramHierarchy, SramSpec, SystolicSpec

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Row:
    name: str  # what is compared, e.g. "area eyeriss-v1-core"
    unit: str
    cosim: float
    published: float
    source: str

    @property
    def ratio(self) -> float:
        return self.cosim / self.published

    @property
    def ok(self) -> bool:
        return 0.5 <= self.ratio <= 2.0


def _chips() -> list[dict]:
    return yaml.safe_load((DATA / "published_area.yaml").read_text())


def _spec(chip: dict) -> SystolicSpec:
    """The systolic spec that stands for a chip of published_area.yaml (weight stationary)."""
    word = max(1, chip["mac_bits"] // 8)
    bufs = {k: SramSpec(size_kib=v, banks=chip["banks"], word_bytes=word) for k, v in chip["sram_kib"].items()}
    return SystolicSpec(name=chip["name"], sram=SramHierarchy(**bufs), clock_mhz=chip.get("clock_mhz", 1000.0),
                        pe_array=PEArraySpec(rows=chip["pe"][0], cols=chip["pe"][1], mac_bits=chip["mac_bits"],
                                             register_bytes_per_pe=chip["register_bytes_per_pe"], dataflow="ws"),
                        energy=EnergySpec(technology_nm=chip["node_nm"], leakage_model="area"))


def _published_core_mm2(chip: dict) -> float:
    """The chip's core area: as published (scope: core), or its die less the published I/O share."""
    if chip.get("scope", "core") == "die":
        return float(chip["area_mm2"]) * (1.0 - float(chip["io_share"]))
    return float(chip["area_mm2"])


def area_rows() -> list[Row]:
    """Silicon area of each chip, core to core: cosim's MACs + registers + SRAM + uncore vs the
    published core (a die less its published I/O share)."""
    out = []
    for c in _chips():
        what = "core" if c.get("scope", "core") == "core" else f"core (die less I/O {c['io_share']:.0%})"
        out.append(Row(f"area {c['name']} {what}", "mm2", sum(systolic_area_mm2(_spec(c)).values()),
                       _published_core_mm2(c), c["source"]))
    return out


ROOT = Path(__file__).resolve().parent.parent
EYERISS = "Chen, Krishna, Emer, Sze, 'Eyeriss', IEEE JSSC 52(1) 2017, Table V: AlexNet CONV at batch 4, 200 MHz"


def _conv_run(report) -> tuple[float, float, float]:
    """DRAM bytes, seconds and on-chip pJ of a report's convolution layers (Eyeriss publishes CONV only)."""
    conv = [l for l in report.layers if l.op == "conv2d"]
    onchip = sum(l.energy_pj_total - l.energy_pj.get("dram", 0.0) for l in conv)
    return (sum(l.dram_read_bytes + l.dram_write_bytes for l in conv), sum(l.latency_s for l in conv), onchip)


def eyeriss_rows() -> list[Row]:
    """accelerators/eyeriss-v1-like.yaml (mapper by EDP, output stationary: cosim has no row-stationary
    dataflow) on AlexNet CONV, 16-bit, batch 4: DRAM traffic, frame rate and on-chip power. The other
    dataflows are printed for reference, not checked."""
    import dataclasses

    import cosim

    graph = cosim.load_workload("alexnet", batch=4, weight_bits=16, act_bits=16)
    spec = cosim.load_accelerator(str(ROOT / "accelerators" / "eyeriss-v1-like.yaml"))
    dram_bytes, seconds, onchip_pj = _conv_run(cosim.simulate(graph, spec))
    for df in ("ws", "is"):
        other = dataclasses.replace(spec, pe_array=dataclasses.replace(spec.pe_array, dataflow=df))
        b, s, _ = _conv_run(cosim.simulate(graph, other))
        print(f"  (eyeriss-v1-like as {df}: AlexNet CONV DRAM {b / 1e6:.1f} MB, {4 / s:.1f} frames/s)")
    return [Row("DRAM eyeriss-v1-like alexnet-conv", "MB", dram_bytes / 1e6, 15.4, EYERISS + " (0.0029 accesses/MAC)"),
            Row("fps eyeriss-v1-like alexnet-conv", "1/s", 4 / seconds, 34.7, EYERISS),
            Row("power eyeriss-v1-like alexnet-conv", "mW", onchip_pj * 1e-12 / seconds * 1e3, 278.0, EYERISS)]


def tpu_rows() -> list[Row]:
    """TPU v1 peak from the preset's array and clock."""
    import cosim

    spec = cosim.load_accelerator(str(ROOT / "accelerators" / "tpu-v1-256x256-ws.yaml"))
    return [Row("peak tpu-v1-256x256-ws", "TOPS", 2 * spec.peak_macs_per_cycle * spec.clock_mhz * 1e6 / 1e12, 92.0,
                "Jouppi et al., ISCA 2017, Table 2: 92 TOPS peak")]


S2TA = ("Liu, Whatmough, Zhu, Mattina, 'S2TA', HPCA 2022 (arXiv:2107.07983), abstract: more than 2x speedup and "
        "energy reduction over a zero-gating systolic array on five CNNs; published figure is joint weight + activation "
        "DBB sparsity, cosim's is 2:4 weights only (activation zeros gated, not skipped)")


def s2ta_rows() -> list[Row]:
    """accelerators/s2ta-32x32-nm.yaml on 2:4-pruned AlexNet, VGG-16 and ResNet-50 against the same array with
    zero-value clock gating only (the same pruned networks, run dense): geometric-mean speedup and energy
    reduction."""
    import dataclasses
    import math

    import cosim
    from cosim.sparsity_spec import apply_sparsity

    s2ta = cosim.load_accelerator(str(ROOT / "accelerators" / "s2ta-32x32-nm.yaml"))
    gated = dataclasses.replace(s2ta, sparsity=dataclasses.replace(
        s2ta.sparsity, skipping="none", nm_patterns=(), compressed_format="none"))
    speed, energy = [], []
    for name in ("alexnet", "vgg16", "resnet50"):
        graph = apply_sparsity(cosim.load_workload(name), "2:4")
        a, b = cosim.simulate(graph, gated).total, cosim.simulate(graph, s2ta).total
        speed.append(a.latency_s / b.latency_s)
        energy.append(a.energy_pj / b.energy_pj)
    gmean = lambda v: math.exp(sum(map(math.log, v)) / len(v))  # noqa: E731
    return [Row("speedup s2ta-32x32-nm 2:4 vs gating", "x", gmean(speed), 2.0, S2TA),
            Row("energy reduction s2ta-32x32-nm 2:4", "x", gmean(energy), 2.0, S2TA)]


# Each function returns rows; append new comparisons here.
ROW_SOURCES: list[Callable[[], list[Row]]] = [area_rows, eyeriss_rows, tpu_rows, s2ta_rows]


def main() -> int:
    rows = [r for source in ROW_SOURCES for r in source()]
    for r in rows:
        print(f"{r.name:40s} cosim {r.cosim:10.3f}  published {r.published:10.3f} {r.unit:4s} "
              f"ratio {r.ratio:5.2f}  {'ok' if r.ok else 'OUTSIDE 2x'}")
    bad = sum(not r.ok for r in rows)
    print(f"{len(rows) - bad} of {len(rows)} within 2x")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
