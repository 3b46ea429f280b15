"""Static power of a design: leakage per component = its area × the node's leakage density
(cosim/hw/data/leakage.yaml, with sources), plus the spec's fixed ``energy.leakage_mw`` (a measured
idle power, an FPGA board's published static figure, I/O). ``energy.leakage_model: area`` turns the
area part on; ``fixed`` keeps leakage_mw alone. The energy of a run adds static power × latency
(cosim/energy.py), so stalls and idle PEs cost energy.

Node dependence: between a class's tabulated points the density is interpolated linearly in
log(node); away from them it follows the technology scaling of a device's leakage power over its
area: leakage power per device scaled like energy per operation (cosim/hw/scaling.py, Stillmaker &
Baas 2017 at nominal supply; the convention of Accelergy's hwcomponents, whose ``scale_leak`` takes
the energy factor for a technology change), area per device like logic area
(cosim/hw/area_scaling.py, Stillmaker & Baas). Standard-cell filler (``uncore_placement``) holds
no active devices and does not leak.
"""

from __future__ import annotations

import functools
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from cosim.errors import CosimError, require

DATA = Path(__file__).resolve().parent / "data" / "leakage.yaml"


@lru_cache(maxsize=1)
def _classes() -> dict[str, tuple[tuple[float, float], ...]]:
    data = yaml.safe_load(DATA.read_text())
    out = {}
    for name, entry in data["classes"].items():
        pts = tuple(sorted((float(n), float(d)) for n, d in entry["points_nm_mw_per_mm2"]))
        require(pts and all(n > 0 and d >= 0 for n, d in pts), f"{DATA}: classes.{name} needs [node_nm, mW/mm2] points")
        out[name] = pts
    return out


@functools.lru_cache(maxsize=256)
def node_leakage_factor(from_nm: float, to_nm: float) -> float:
    """Leakage density at ``to_nm`` over that at ``from_nm`` (dimensionless): the energy-per-operation
    factor over the logic-area factor (module docstring)."""
    from cosim.hw.area_scaling import logic_area_factor
    from cosim.hw.scaling import relative_energy_per_op

    energy = relative_energy_per_op(to_nm) / relative_energy_per_op(from_nm)
    return energy / (logic_area_factor(to_nm) / logic_area_factor(from_nm))


@functools.lru_cache(maxsize=256)
def leakage_mw_per_mm2(device_class: str, node_nm: float) -> float:
    """Leakage density of ``device_class`` (logic, registers, whitespace) at ``node_nm``, mW/mm²."""
    pts = _classes().get(device_class)
    if pts is None:
        raise CosimError(f"leakage class '{device_class}' is unknown; use one of {', '.join(_classes())}")
    if node_nm <= pts[0][0]:
        return pts[0][1] * node_leakage_factor(pts[0][0], node_nm)
    if node_nm >= pts[-1][0]:
        return pts[-1][1] * node_leakage_factor(pts[-1][0], node_nm)
    for (n0, d0), (n1, d1) in zip(pts, pts[1:]):
        if node_nm <= n1:
            t = (math.log(node_nm) - math.log(n0)) / (math.log(n1) - math.log(n0))
            return d0 + t * (d1 - d0)
    return pts[-1][1]


def component_class(component: str) -> str:
    """The leakage class an area component belongs to."""
    if component == "uncore_placement":
        return "whitespace"
    return "registers" if component == "registers" else "logic"


def leakage_by_component_mw(area_mm2: Mapping[str, float], node_nm: float) -> dict[str, float]:
    """Leakage of each area component at ``node_nm``, mW."""
    return {c: a * leakage_mw_per_mm2(component_class(c), node_nm) for c, a in area_mm2.items()}


def static_power_mw(spec: Any, area_mm2: Mapping[str, float]) -> float:
    """Static power of ``spec`` whose components take ``area_mm2``: leakage_mw, plus the area's leakage
    when ``energy.leakage_model`` is ``area``; mW."""
    energy = getattr(spec, "energy", None)
    if energy is None:
        return 0.0
    fixed = float(energy.leakage_mw)
    if energy.leakage_model != "area":
        return fixed
    die = area_mm2.get("die")  # a published die area: leakage_mw is its measured idle power already
    if die is not None and len(area_mm2) == 1:
        return fixed
    return fixed + sum(leakage_by_component_mw(area_mm2, energy.technology_nm).values())


def fpga_static_power_mw(spec: Any, used: Mapping[str, float]) -> float:
    """Static power of an FPGA design whose build uses ``used`` resources (counts by name), mW:
    ``energy.leakage_mw``, plus, when ``energy.leakage_model`` is ``area``, the leakage of the fabric
    that is powered: every LUT and DSP slice of the part (AMD UG440, "Design Static Power": clock,
    logic and DSP are always powered, in the device's static power) and the block RAM / UltraRAM the
    design uses (power-gated when unused). A LOWER BOUND: it counts the fabric's function silicon
    (cosim/hw/area.py's FPGA tiles), not the hard-block routing, the clock network, the I/O or the
    processor system, and no published device figure is tabulated here."""
    from cosim.hw.area import fpga_area_mm2

    energy = spec.energy
    fixed = float(energy.leakage_mw)
    if energy.leakage_model != "area":
        return fixed
    dev = spec.device
    powered = {"lut": dev.lut, "dsp": dev.dsp, "bram36": used.get("bram36", 0.0), "uram": used.get("uram", 0.0)}
    return fixed + sum(leakage_by_component_mw(fpga_area_mm2(spec, powered), energy.technology_nm).values())
