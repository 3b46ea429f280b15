"""cosim against published figures of real chips: each check prints cosim, published and their ratio.

  PYTHONPATH=. python scripts/validate_published.py

Bar: every ratio within 2x (exit 1 otherwise). ``area_power_checks`` reads scripts/data/published_area.yaml.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from cosim.hw.area import systolic_area_mm2
from cosim.hw.spec import EnergySpec, PEArraySpec, SramHierarchy, SramSpec, SystolicSpec

DATA = Path(__file__).parent / "data"


def area_power_checks() -> list[tuple[str, float, float]]:
    """(name, cosim area mm², published area mm²) for each chip of published_area.yaml."""
    out = []
    for chip in yaml.safe_load((DATA / "published_area.yaml").read_text()):
        bufs = {k: SramSpec(size_kib=v, banks=chip["banks"]) for k, v in chip["sram_kib"].items()}
        spec = SystolicSpec(name=chip["name"], sram=SramHierarchy(**bufs),
                            pe_array=PEArraySpec(rows=chip["pe"][0], cols=chip["pe"][1], mac_bits=chip["mac_bits"],
                                                 register_bytes_per_pe=chip["register_bytes_per_pe"]),
                            energy=EnergySpec(technology_nm=chip["node_nm"]))
        out.append((f"area {chip['name']}", sum(systolic_area_mm2(spec).values()), float(chip["area_mm2"])))
    return out


ROOT = Path(__file__).resolve().parent.parent


def _conv_totals(report) -> tuple[float, float]:
    """DRAM bytes and seconds of a report's convolution layers (Eyeriss publishes CONV layers only)."""
    conv = [l for l in report.layers if l.op == "conv2d"]
    return (sum(l.dram_read_bytes + l.dram_write_bytes for l in conv), sum(l.latency_s for l in conv))


def eyeriss_checks() -> list[tuple[str, float, float]]:
    """Eyeriss v1 on AlexNet CONV at batch 4, 16-bit (Chen et al., JSSC 52(1) 2017, Table V: 34.7 frames/s,
    15.4 MB of DRAM traffic, i.e. 0.0029 accesses of 16 bits per MAC), on accelerators/eyeriss-v1-like.yaml
    with its mapper; the other dataflows are printed for reference (not checked)."""
    import dataclasses

    import cosim

    graph = cosim.load_workload("alexnet", batch=4, weight_bits=16, act_bits=16)
    spec = cosim.load_accelerator(str(ROOT / "accelerators" / "eyeriss-v1-like.yaml"))
    dram_bytes, seconds = _conv_totals(cosim.simulate(graph, spec))
    for df in ("ws", "is"):
        other = dataclasses.replace(spec, pe_array=dataclasses.replace(spec.pe_array, dataflow=df))
        b, s = _conv_totals(cosim.simulate(graph, other))
        print(f"  (eyeriss-v1-like as {df}: AlexNet CONV DRAM {b / 1e6:.1f} MB, {4 / s:.1f} frames/s)")
    return [("Eyeriss AlexNet CONV DRAM MB", dram_bytes / 1e6, 15.4),
            ("Eyeriss AlexNet CONV frames/s", 4 / seconds, 34.7)]


def tpu_checks() -> list[tuple[str, float, float]]:
    """TPU v1 peak: 92 TOPS (Jouppi et al., ISCA 2017, Table 2), from the preset's array and clock."""
    import cosim

    spec = cosim.load_accelerator(str(ROOT / "accelerators" / "tpu-v1-256x256-ws.yaml"))
    peak_tops = 2 * spec.peak_macs_per_cycle * spec.clock_mhz * 1e6 / 1e12
    return [("TPU v1 peak TOPS", peak_tops, 92.0)]


CHECKS = [area_power_checks, eyeriss_checks, tpu_checks]


def main() -> int:
    bad = 0
    for check in CHECKS:
        for name, ours, published in check():
            ratio = ours / published
            ok = 0.5 <= ratio <= 2.0
            bad += not ok
            print(f"{name:32s} cosim {ours:10.3f}  published {published:10.3f}  ratio {ratio:5.2f}  {'ok' if ok else 'OUTSIDE 2x'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
