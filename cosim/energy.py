"""Energy = action counts × per-action energies + leakage × time: the one place actions are priced.

The datapath models count actions (cosim/perf.py lists the names); the energy table of the
accelerator (cosim/hw/energy_tables.py) prices them. Keeping the two apart lets an ASIC table, a
technology-scaled table or an FPGA table swap in without touching the models. :func:`price_batch`
prices a datapath's (sites × designs) action arrays with each design's table; ``cosim.simulate`` and
the search both go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

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
            raise CosimError(unpriced_message(action))
        comp = component_of(action)
        out[comp] = out.get(comp, 0.0) + float(count) * float(table[action])
    return out


def unpriced_message(action: str) -> str:
    return f"energy table has no entry for action '{action}'; add it under energy.overrides_pj"


def leakage_energy_pj(leakage_mw, latency_s):
    """Static energy in pJ: P[mW] · 1e-3 W/mW · t[s] · 1e12 pJ/J (scalars or arrays)."""
    return leakage_mw * 1e-3 * latency_s * 1e12


def layer_energy_pj(actions: Mapping[str, float], spec: Any, latency_s: float) -> dict[str, float]:
    """Energy by component (pJ) for one layer on ``spec``, leakage included as 'leakage'."""
    from cosim.hw.energy_tables import table_for

    out = dynamic_energy_pj(actions, table_for(spec))
    leak = leakage_energy_pj(spec.energy.leakage_mw, latency_s) if hasattr(spec, "energy") else 0.0
    if leak:
        out["leakage"] = leak
    return out


@dataclass(frozen=True, eq=False)
class PricedBatch:
    """Energy of a datapath's sites × designs, by component (pJ, arrays of shape (sites, designs))."""

    by_component: dict[str, np.ndarray]
    present: dict[str, np.ndarray]  # bool: the pair has a nonzero action of that component
    unpriced: tuple[str | None, ...]  # per design: the first action it performs that its table lacks

    @property
    def total_pj(self) -> np.ndarray:
        return sum(self.by_component.values()) if self.by_component else np.zeros(0)


def design_tables(specs: Sequence[Any]) -> tuple[list[dict[str, float]], np.ndarray]:
    """(the distinct energy tables of ``specs``, each spec's index among them)."""
    from cosim.hw.energy_tables import spec_table_key, table_for_key

    keys: dict[tuple, int] = {}
    tables: list[dict[str, float]] = []
    by_parts: dict[tuple, int] = {}
    index = np.empty(len(specs), dtype=np.int64)
    for j, spec in enumerate(specs):
        # Specs of one sweep share their sub-specs; group by them first (the objects live through
        # this call, so their ids are stable), then by the value key the table depends on.
        parts = (type(spec), id(getattr(spec, "energy", None)), id(getattr(spec, "sram", None)),
                 id(getattr(spec, "pe_array", None)), id(getattr(spec, "dram", None)),
                 id(getattr(spec, "memory", None)), id(getattr(spec, "device", None)))
        at = by_parts.get(parts)
        if at is None:
            key = spec_table_key(spec)
            at = keys.get(key)
            if at is None:
                at = keys[key] = len(tables)
                tables.append(table_for_key(key))
            by_parts[parts] = at
        index[j] = at
    return tables, index


def price_batch(actions: Mapping[str, np.ndarray], specs: Sequence[Any], latency_s: np.ndarray) -> PricedBatch:
    """Price ``actions`` (name → (sites, designs) counts) with each design's table, and add leakage ×
    ``latency_s`` (sites, designs) as the 'leakage' component where the spec leaks."""
    tables, index = design_tables(specs)
    by_comp: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    unpriced: list[str | None] = [None] * len(specs)
    for action in sorted(actions):
        counts = np.asarray(actions[action], dtype=np.float64)
        nonzero = counts != 0
        used = nonzero.any(axis=0)
        if not used.any():
            continue
        prices = np.array([t.get(action, np.nan) for t in tables], dtype=np.float64)[index]
        missing = np.isnan(prices) & used
        for j in np.flatnonzero(missing):
            if unpriced[j] is None:
                unpriced[j] = action
        comp = component_of(action)
        energy = np.where(nonzero, counts * np.nan_to_num(prices)[None, :], 0.0)
        if comp in by_comp:
            by_comp[comp] = by_comp[comp] + energy
            present[comp] = present[comp] | nonzero
        else:
            by_comp[comp], present[comp] = energy, nonzero
    leak_mw = np.array([getattr(getattr(s, "energy", None), "leakage_mw", 0.0) for s in specs], dtype=np.float64)
    if (leak_mw > 0).any():
        leak = leakage_energy_pj(leak_mw[None, :], np.asarray(latency_s, dtype=np.float64))
        by_comp["leakage"] = leak
        present["leakage"] = leak != 0
    return PricedBatch(by_comp, present, tuple(unpriced))
