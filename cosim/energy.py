"""Energy = action counts × per-action energies + leakage × time: the one place actions are priced.

The datapath models count actions (cosim/perf.py lists the names); the energy table of the
accelerator (cosim/hw/energy_tables.py) prices them. Keeping the two apart lets an ASIC table, a
technology-scaled table or an FPGA table swap in without touching the models. :func:`price_batch`
prices a datapath's (sites × designs) action arrays with each design's table; ``cosim.simulate`` and
the search both go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

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

    from cosim.hw.area import spec_area_mm2
    from cosim.hw.static_power import static_power_mw

    out = dynamic_energy_pj(actions, table_for(spec))
    leak = leakage_energy_pj(static_power_mw(spec, spec_area_mm2(spec) or {}), latency_s)
    if leak:
        out["leakage"] = leak
    return out


@dataclass(frozen=True, eq=False)
class PricedBatch:
    """Energy of a datapath's sites × designs, by component (pJ, arrays of shape (sites, designs))."""

    by_component: dict[str, np.ndarray]
    unpriced: tuple[str | None, ...]  # per design: the first action it performs that its table lacks
    actions_of: dict[str, tuple[np.ndarray, ...]]  # component → its action counts

    def present(self, component: str) -> np.ndarray:
        """bool (sites, designs): the pair performs an action of ``component`` (a report lists it)."""
        out = np.zeros(self.by_component[component].shape, dtype=bool)
        for counts in self.actions_of.get(component, ()):
            out |= counts != 0
        if component == "leakage":
            out |= self.by_component[component] != 0
        return out


def design_tables(designs: Any) -> tuple[list[dict[str, float]], np.ndarray]:
    """(the distinct energy tables of ``designs``, each design's index among them). Designs that agree
    on the fields the table depends on (the spec class's ENERGY_FIELDS) share one; without that
    declaration each design's spec is keyed."""
    from cosim.hw.designs import Designs
    from cosim.hw.energy_tables import spec_table_key, table_for_key

    d = designs if isinstance(designs, Designs) else Designs.of(designs)
    prefixes = getattr(type(d.base), "ENERGY_FIELDS", None)
    if prefixes is None:
        where: dict[tuple, int] = {}
        index = [where.setdefault(spec_table_key(s), len(where)) for s in d.specs()]
        return [table_for_key(k) for k in where], np.array(index, dtype=np.int64)
    firsts, inverse = d.group(prefixes, spec_table_key)
    if d._explicit:
        return [table_for_key(spec_table_key(d.spec(int(j)))) for j in firsts], inverse
    from cosim.cache import DEFAULT

    paths = d.varied_under(prefixes)  # the table is a function of the base spec and these values
    tables = [DEFAULT.get("energy_table", (d.base_key, tuple(paths), d.values_at(paths, int(j))),
                          lambda j=int(j): table_for_key(spec_table_key(d.spec(j)))) for j in firsts]
    return tables, inverse


def price_batch(actions: Mapping[str, np.ndarray], designs: Any, latency_s: np.ndarray,
                static_mw: np.ndarray | None = None) -> PricedBatch:
    """Price ``actions`` (name → (sites, designs) counts) with each design's table, and add static
    power × ``latency_s`` (sites, designs) as the 'leakage' component where the design leaks.
    ``designs``: a cosim.hw.designs.Designs or a list of specs; ``static_mw``: each design's static
    power (cosim/hw/cost.py), or None for the specs' ``energy.leakage_mw``."""
    from cosim.hw.designs import Designs

    designs = designs if isinstance(designs, Designs) else Designs.of(designs)
    tables, index = design_tables(designs)
    by_comp: dict[str, np.ndarray] = {}
    actions_of: dict[str, list[np.ndarray]] = {}
    unpriced: list[str | None] = [None] * len(designs)
    for action in sorted(actions):
        counts = np.asarray(actions[action], dtype=np.float64)
        used = counts.any(axis=0)
        if not used.any():
            continue
        table_prices = np.array([t.get(action, np.nan) for t in tables], dtype=np.float64)
        if np.isnan(table_prices).any():
            for j in np.flatnonzero(np.isnan(table_prices[index]) & used):
                if unpriced[j] is None:
                    unpriced[j] = action
            table_prices = np.nan_to_num(table_prices)
        prices = table_prices[index] if len(tables) > 1 else table_prices[0]
        comp = component_of(action)
        energy = counts * prices
        by_comp[comp] = by_comp[comp] + energy if comp in by_comp else energy
        actions_of.setdefault(comp, []).append(counts)
    if static_mw is not None:
        leak_mw = np.asarray(static_mw, dtype=np.float64)
    else:
        try:
            leak_mw = designs.value("energy.leakage_mw").astype(np.float64)
        except AttributeError:  # a spec without an energy section leaks nothing
            leak_mw = np.zeros(len(designs))
    if (leak_mw > 0).any():
        leak = leakage_energy_pj(leak_mw[None, :], np.asarray(latency_s, dtype=np.float64))
        by_comp["leakage"] = leak
    return PricedBatch(by_comp, tuple(unpriced), {c: tuple(v) for c, v in actions_of.items()})
