"""Energy = action counts × per-action energies + leakage × time.

The datapath models count actions (cosim/perf.py lists the names); the energy table of the
accelerator (cosim/hw/energy_tables.py) prices them. Keeping the two apart lets an ASIC table, a
technology-scaled table or an FPGA table swap in without touching the models.
"""

from __future__ import annotations

from typing import Any, Mapping

from cosim.errors import CosimError


def component_of(action: str) -> str:
    """The report component an action is charged to: the part before ':'."""
    return action.split(":", 1)[0]


def dynamic_energy_pj(actions: Mapping[str, float], table: Mapping[str, float]) -> dict[str, float]:
    """Σ count × pJ/action, grouped by component (pJ). Every action must be priced by the table."""
    out: dict[str, float] = {}
    for action, count in actions.items():
        if count == 0:
            continue
        if action not in table:
            raise CosimError(f"energy table has no entry for action '{action}'; add it under energy.overrides_pj")
        comp = component_of(action)
        out[comp] = out.get(comp, 0.0) + float(count) * float(table[action])
    return out


def leakage_energy_pj(leakage_mw: float, latency_s: float) -> float:
    """Static energy in pJ: P[mW] · 1e-3 W/mW · t[s] · 1e12 pJ/J."""
    return leakage_mw * 1e-3 * latency_s * 1e12


def layer_energy_pj(actions: Mapping[str, float], spec: Any, latency_s: float) -> dict[str, float]:
    """Energy by component (pJ) for one layer on ``spec``, leakage included as 'leakage'."""
    from cosim.hw.energy_tables import table_for

    out = dynamic_energy_pj(actions, table_for(spec))
    leak = leakage_energy_pj(spec.energy.leakage_mw, latency_s) if hasattr(spec, "energy") else 0.0
    if leak:
        out["leakage"] = leak
    return out
