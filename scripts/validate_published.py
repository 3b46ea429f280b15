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


CHECKS = [area_power_checks]


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
