"""What a design costs besides time and dynamic energy: its silicon area by component
(cosim/hw/area.py), its static power (cosim/hw/static_power.py) and, on an FPGA, the fraction of the
board it takes — for many designs at once, as columns. ``cosim.simulate.evaluate_network`` calls
:func:`design_costs` after the datapath ran (an FPGA design's area follows the resources its build
uses), and prices the static power × latency as the ``leakage`` energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosim.hw.area import board_fraction, fpga_area_mm2, spec_area_mm2
from cosim.hw.static_power import fpga_static_power_mw, static_power_mw

# Spec fields (dotted prefixes) the area and static power of a design depend on, by kind: designs
# that agree on them share one computation.
AREA_FIELDS = {
    "systolic": ("pe_array", "sram", "energy", "sparsity"),
    "sparse_tensor_core": ("sm_count", "macs_per_cycle_per_sm", "smem_kib_per_sm", "smem_banks", "l2_kib",
                           "l2_banks", "die_area_mm2", "energy", "sparsity"),
}


@dataclass(frozen=True, eq=False)
class DesignCosts:
    """Per design (arrays of shape (designs,)); units in the names."""

    area_mm2_by_component: dict[str, np.ndarray]
    area_mm2: np.ndarray
    static_power_mw: np.ndarray
    board_fraction: np.ndarray  # NaN except on FPGA designs


def _area_key(spec: Any) -> tuple:
    e = spec.energy
    fields = AREA_FIELDS.get(spec.kind, ())
    vals = tuple(getattr(spec, f) for f in fields if f != "energy" and f != "macs_per_cycle_per_sm")
    macs = tuple(sorted(getattr(spec, "macs_per_cycle_per_sm", {}).items()))
    return (vals, macs, e.technology_nm, e.leakage_mw, e.leakage_model)


def design_costs(d: Any, perf: Any = None) -> DesignCosts:
    """Area, static power and board fraction of every design of ``d`` (a cosim.hw.designs.Designs);
    ``perf``: the datapath's BatchPerf (an FPGA design's resources come from its network details)."""
    n = len(d)
    parts: list[dict[str, float]] = []
    static = np.zeros(n)
    board = np.full(n, math.nan)
    if d.kind == "fpga":
        for j in range(n):
            spec = d.spec(j)
            used = _fpga_resources(perf, j)
            p = fpga_area_mm2(spec, used) if used else {"fpga_unbuilt": math.nan}
            parts.append(p)
            board[j] = board_fraction(spec, used) if used else math.nan
            static[j] = fpga_static_power_mw(spec, used) if used else float(spec.energy.leakage_mw)
        index = np.arange(n)
    else:
        firsts, index = d.group(AREA_FIELDS.get(d.kind, ("",)), _area_key)
        for k, j in enumerate(firsts.tolist()):
            spec = d.spec(j)
            p = spec_area_mm2(spec) or {}
            parts.append(p)
            static[k] = static_power_mw(spec, p)
        static = static[: len(firsts)][index]
    names = sorted({c for p in parts for c in p})
    by_comp = {c: np.array([p.get(c, 0.0) for p in parts], dtype=np.float64)[index] for c in names}
    total = sum(by_comp.values()) if by_comp else np.zeros(n)
    return DesignCosts(by_comp, np.asarray(total, dtype=np.float64), static, board)


def _fpga_resources(perf: Any, j: int) -> dict[str, float]:
    """The resources design ``j``'s build uses (its network details), {} where it has none."""
    net = getattr(perf, "network", None) if perf is not None else None
    if net is None:
        return {}
    try:
        details = net.details(j)
    except Exception:  # noqa: BLE001 — an infeasible design has no build; its area is then 0
        return {}
    return dict(getattr(details, "resources", {}) or {})
