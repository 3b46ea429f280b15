"""Batch evaluation of design points: metrics and a status for each, many points per call, column-wise.

Search wraps the simulator: a point's numbers come from the chain ``cosim.simulate`` runs
(``cosim.simulate.evaluate_network``), called once for many designs. What this module adds is the
handling of a chunk of points as columns:

* point indices are decoded into choice indices per dimension (cosim/search/points.py) and grouped by
  candidate and pruned workload (a workload variant is built once per process, ``workload_variant``);
* a group's hardware choices become one :class:`cosim.hw.designs.Designs` (columns of the varied
  fields), validated column-wise by the spec classes' own rules (``check_designs``) and handed to
  cosim/search/simulation.py in one call;
* metrics, constraints and the rows' point columns are computed as arrays.

A point's status is ``ok``, ``infeasible`` (the spec is invalid, the datapath cannot run it, or a
constraint is missed; the reason says which) or ``error`` (an unexpected failure; the message says
what). Metrics of an infeasible point that was simulated are kept.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Sequence

import numpy as np

from cosim.errors import CosimError
from cosim.hw.designs import Designs, check_designs
from cosim.metrics import METRICS
from cosim.search import points as pts
from cosim.search.space import Candidate, DesignSpace
from cosim.search.specs import build_spec, replace_fields


def candidate_designs(cand: Candidate, columns: dict[str, np.ndarray], n: int) -> Designs:
    """The designs of ``cand`` whose varied fields take ``columns`` (built on demand by build_spec)."""
    return Designs(cand.base_spec, columns, n, build=lambda hw: build_spec(cand, hw))


def evaluate_indices(space: DesignSpace, indices: Sequence[int]) -> list[dict[str, Any]]:
    """Rows (point columns, metrics, status, reason) for the points ``indices`` of ``space``."""
    batch = pts.decode(space, indices)
    n = len(batch.ids)
    rows: list[dict[str, Any] | None] = [None] * n
    for ci, pruning, at in pts.groups(batch):
        cand = space.candidates[ci]
        group_rows = evaluate_group(space, cand, pruning, batch.ids[at], batch.choices[at])
        for k, row in zip(at.tolist(), group_rows):
            rows[k] = row
    return rows  # type: ignore[return-value]


def evaluate_group(space: DesignSpace, cand: Candidate, pruning: tuple[int, ...], ids: np.ndarray,
                   choices: np.ndarray) -> list[dict[str, Any]]:
    """Points of one candidate and pruned workload: validate the designs, simulate, check constraints."""
    n = len(ids)
    vkey = tuple(d.values[c] for d, c in zip(cand.dims[:pts.N_POINT_DIMS], pruning))
    cols: dict[str, Any] = {m: np.full(n, math.nan) for m in METRICS}
    status = np.full(n, "ok", dtype=object)
    reason = np.full(n, "", dtype=object)
    try:
        from cosim.search.recipe_training import accelerator_for

        accel = accelerator_for(cand, vkey)
        wm = workload_metrics(vkey, space.memo_path, accel)
    except Exception as e:  # noqa: BLE001 — a failure of one workload must not end the sweep
        bad = ("infeasible", f"workload: {e}") if isinstance(e, CosimError) else (
            "error", f"workload: {type(e).__name__}: {e}")
        status[:], reason[:] = bad
        return _rows(cand, vkey, ids, choices, cols, status, reason)
    for m, v in wm.items():
        cols[m][:] = v
    designs = candidate_designs(cand, pts.hw_columns(cand, choices), n)
    ok, why = check_designs(designs, replace_fields) if cand.replace_ok else _check_each(designs)
    for j in np.flatnonzero(~ok):
        status[j], reason[j] = "infeasible", f"spec: {why[j]}"
    good = np.flatnonzero(ok)
    if good.size:
        from cosim.search.simulation import simulate_designs

        sub = designs.select(good)
        sim_status, sim_reason, metrics = simulate_designs(vkey, sub, space.memo_path, accel)
        for m, v in metrics.items():
            cols[m][good] = v
        status[good], reason[good] = sim_status, sim_reason
        for m, v in _spec_metrics(sub, metrics).items():
            cols[m][good] = v
        _apply_constraints(space, cols, status, reason, good)
    return _rows(cand, vkey, ids, choices, cols, status, reason)


def _check_each(designs: Designs) -> tuple[np.ndarray, list[str]]:
    """Validation by building every design (candidates whose field replacement differs from the loader)."""
    ok = np.ones(len(designs), dtype=bool)
    why = [""] * len(designs)
    for j in range(len(designs)):
        try:
            designs.spec(j)
        except CosimError as e:
            ok[j], why[j] = False, str(e)
    return ok, why


def _spec_metrics(d: Designs, metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Peak compute and on-chip storage of each design: peak from the datapath, SRAM from the spec of
    each group of designs sharing their memory fields."""
    from cosim.search.specs import spec_metrics

    prefixes = getattr(type(d.base), "ENERGY_FIELDS", ())
    firsts, inverse = d.group(prefixes, lambda s: tuple(sorted((k, b.size_kib) for k, b in s.sram_buffers().items()))) \
        if prefixes else (np.arange(len(d)), np.arange(len(d)))
    sram = np.array([spec_metrics(d.spec(int(j)))["sram_kib"] for j in firsts], dtype=np.float64)[inverse]
    peak = metrics.get("peak_macs_per_cycle")
    if peak is None:  # the simulation failed as a whole: the specs say
        peak = np.array([spec_metrics(d.spec(j))["peak_macs_per_cycle"] for j in range(len(d))])
    area = metrics.get("area_mm2")
    if area is None:  # the simulation failed as a whole: the specs' own area (NaN for FPGA designs)
        from cosim.hw.cost import design_costs

        area = design_costs(d).area_mm2 if d.kind != "fpga" else np.full(len(d), np.nan)
    return {"sram_kib": sram, "peak_macs_per_cycle": peak, "area_mm2": area,
            "peak_macs_per_s": peak * d.value("clock_mhz").astype(np.float64) * 1e6}


def _apply_constraints(space: DesignSpace, cols, status, reason, good: np.ndarray) -> None:
    """Points that simulated ok but miss a constraint become infeasible, every missed one named."""
    if not space.constraints:
        return
    ok = good[status[good] == "ok"]
    missed = {c: ok[_violates(c, cols[c.metric][ok])] for c in space.constraints}
    for j in np.unique(np.concatenate(list(missed.values()))) if missed else ():
        why = [r for c in space.constraints if (r := c.violation(float(cols[c.metric][j]))) is not None]
        if why:
            status[j], reason[j] = "infeasible", "; ".join(why)


def _violates(c, values: np.ndarray) -> np.ndarray:
    bad = np.isnan(values)
    if c.max is not None:
        bad |= values > c.max
    if c.min is not None:
        bad |= values < c.min
    return bad


def _rows(cand: Candidate, vkey: tuple, ids, choices, cols, status, reason) -> list[dict[str, Any]]:
    n = len(ids)
    point = {"candidate": [cand.name] * n, "kind": [cand.kind] * n, "workload": [vkey[0]] * n,
             "sparsity": [vkey[1]] * n, "allocation": [vkey[2]] * n, "bits": [vkey[3]] * n,
             "recipe": [vkey[4]] * n,
             "hw": pts.hw_json(cand, choices)}
    keys = ["id", *point, "status", "reason", *METRICS]
    values = [ids.tolist(), *point.values(), status.tolist(), reason.tolist(),
              *(np.asarray(cols[m], dtype=np.float64).tolist() for m in METRICS)]
    return [dict(zip(keys, row)) for row in zip(*values)]


@functools.lru_cache(maxsize=64)
def workload_metrics(vkey: tuple, memo_path: str = "", accelerator: str = "") -> dict[str, float]:
    from cosim.search.accuracy import accuracy_metrics
    from cosim.search.workload_variants import workload_variant

    v = workload_variant(*vkey, memo_path=memo_path, accelerator=accelerator)
    out = {"weight_density": v.weight_density, "params_nonzero": v.params_nonzero, "model_bytes": v.model_bytes}
    out.update(accuracy_metrics(v))
    return out
