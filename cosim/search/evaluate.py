"""Batch evaluation of design points: metrics and a status for each, many points per call.

Search wraps the simulator: a point's numbers come from the chain ``cosim.simulate`` runs
(``cosim.simulate.evaluate_network``), called once for many designs. What this module adds is the
grouping of a chunk's points:

* points are grouped by candidate and pruned workload, built once per process (``workload_variant``);
* each group goes to cosim/search/simulation.py in one call: every design of it through the
  datapath's batch entry point;
* a hardware choice's spec is built once per process (it recurs across pruning variants).

A point's status is ``ok``, ``infeasible`` (the spec is invalid, the datapath cannot run it, or a
constraint is missed; the reason says which) or ``error`` (an unexpected failure; the message says
what). Metrics of an infeasible point that was simulated are kept.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from typing import Any, Mapping, Sequence

from cosim.errors import CosimError
from cosim.search.space import Candidate, DesignPoint, DesignSpace
from cosim.search.specs import build_spec, spec_metrics

from cosim.metrics import COLUMNS, METRICS, SIM_METRICS, SPEC_METRICS, WORKLOAD_METRICS  # noqa: F401


# ---- per-process caches ---------------------------------------------------------------------------

class _SpecCache:
    """Specs of recently seen hardware choices (a choice recurs across every pruning variant)."""

    def __init__(self, maxsize: int = 4096):
        self.maxsize = maxsize
        self._d: OrderedDict = OrderedDict()

    def get(self, cand: Candidate, hw: Mapping[str, Any]):
        key = (cand.name, tuple(hw.items()))
        hit = self._d.get(key)
        if hit is not None:
            self._d.move_to_end(key)
            return hit
        spec = build_spec(cand, hw)
        self._d[key] = spec
        if len(self._d) > self.maxsize:
            self._d.popitem(last=False)
        return spec


_SPECS = _SpecCache()


# ---- evaluation ----------------------------------------------------------------------------------

def evaluate_indices(space: DesignSpace, indices: Sequence[int]) -> list[dict[str, Any]]:
    """Rows (point columns, metrics, status, reason) for the points ``indices`` of ``space``."""
    points = [space.point(int(i)) for i in indices]
    cands = {c.name: c for c in space.candidates}
    groups: dict[tuple, list[DesignPoint]] = {}
    for p in points:
        groups.setdefault((p.candidate, p.pruning_key), []).append(p)
    rows: dict[int, dict[str, Any]] = {}
    for (cname, vkey), pts in groups.items():
        for p, row in zip(pts, evaluate_group(space, cands[cname], vkey, pts)):
            rows[p.id] = row
    return [rows[p.id] for p in points]


def evaluate_group(space: DesignSpace, cand: Candidate, vkey: tuple, points: list[DesignPoint]) -> list[dict]:
    """Points that share a candidate and a pruned workload: build specs, simulate, check constraints."""
    out = [_base_row(p) for p in points]
    try:
        wmetrics = workload_metrics(vkey)
    except CosimError as e:
        for row in out:
            row.update(status="infeasible", reason=f"workload: {e}")
        return out
    except Exception as e:  # noqa: BLE001 — a failure of one workload must not end the sweep
        for row in out:
            row.update(status="error", reason=f"workload: {type(e).__name__}: {e}")
        return out
    specs = [_SPECS.get(cand, p.hw) for p in points]
    ok = [i for i, s in enumerate(specs) if not isinstance(s, str)]
    for i, s in enumerate(specs):
        out[i].update(wmetrics)
        if isinstance(s, str):
            out[i].update(status="infeasible", reason=f"spec: {s}")
    from cosim.search.simulation import simulate_many

    sims = simulate_many(vkey, [specs[i] for i in ok])
    for i, sim in zip(ok, sims):
        row = out[i]
        row.update(spec_metrics(specs[i]))
        if isinstance(sim, tuple):  # (status, reason)
            row.update(status=sim[0], reason=sim[1])
            continue
        row.update(sim)
        reasons = [r for c in space.constraints if (r := c.violation(row.get(c.metric))) is not None]
        if reasons:
            row.update(status="infeasible", reason="; ".join(reasons))
    return out


def _base_row(p: DesignPoint) -> dict[str, Any]:
    row = {"id": p.id, "candidate": p.candidate, "kind": p.kind, "workload": p.workload, "sparsity": p.sparsity,
           "allocation": p.allocation, "bits": p.bits, "hw": json.dumps(dict(p.hw), sort_keys=True),
           "status": "ok", "reason": ""}
    row.update({m: float("nan") for m in METRICS})
    return row


@functools.lru_cache(maxsize=64)
def workload_metrics(vkey: tuple) -> dict[str, float]:
    from cosim.search.accuracy import accuracy_metrics
    from cosim.search.workload_variants import workload_variant

    v = workload_variant(*vkey)
    out = {"weight_density": v.weight_density, "params_nonzero": v.params_nonzero, "model_bytes": v.model_bytes}
    out.update(accuracy_metrics(v))
    return out
