"""Pareto fronts of a result store: the non-dominated ok points per workload, as rows and CSV.

Latency and energy of different networks are not comparable, so a front is taken per workload (the
``by`` column); objectives named in ``MAXIMISED`` (accuracy) are maximised, the rest minimised.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from cosim.outputs import atomic_output
from cosim.errors import require
from cosim.metrics import METRICS
from cosim.search.pareto import pareto_mask
from cosim.metrics import MAXIMISED
from cosim.search.store import ResultStore


@dataclass(frozen=True)
class FrontTable:
    """The ok points of a store as arrays, and which are on their group's front (rows for those only)."""

    objectives: tuple[str, ...]
    ids: np.ndarray  # (n,) point ids
    values: np.ndarray  # (n, len(objectives))
    groups: np.ndarray  # (n,) group of each point (its workload)
    on_front: np.ndarray  # (n,) bool
    front: list[dict[str, Any]]  # full rows of the front points, in id order

    def group_names(self) -> list[str]:
        return list(dict.fromkeys(self.groups.tolist()))


def front_table(store: ResultStore, objectives: Sequence[str], by: str = "workload") -> FrontTable:
    """Arrays of the ok points over ``objectives`` and their front membership within each ``by`` group.

    Memory is a few numbers per point (a million points fit), plus full rows of the front only.
    """
    require(1 <= len(objectives) <= 3, f"give 1 to 3 objectives, got {len(objectives)}")
    for o in objectives:
        require(o in METRICS, f"objective '{o}' is not a metric; use one of {', '.join(METRICS)}")
    ids, f = store.metric_arrays(objectives)
    _, groups = store.column(by)
    on = np.zeros(len(ids), dtype=bool)
    maximize = [o in MAXIMISED for o in objectives]
    for key in dict.fromkeys(groups.tolist()):
        idx = np.flatnonzero(groups == key)
        on[idx[pareto_mask(f[idx], maximize)]] = True
    rows = store.rows_by_id(ids[on])
    return FrontTable(tuple(objectives), ids, f, groups, on, [rows[i] for i in sorted(rows)])


def write_front_csv(table: FrontTable, path: str | Path, extra: Sequence[str] = ()) -> int:
    """The front rows, sorted by group and first objective, with the point and every metric; atomic."""
    path = Path(path)
    require(path.parent.is_dir(), f"output folder '{path.parent}' does not exist; create it first")
    front = sorted(table.front, key=lambda r: (r["workload"], r[table.objectives[0]]))
    cols = ["id", "workload", "candidate", "kind", "sparsity", "allocation", "bits", "recipe", "hw", *table.objectives]
    cols += [m for m in (*extra, *METRICS) if m not in cols]
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in front:
            w.writerow([r.get(c) for c in cols])
    return len(front)


def design_label(row: dict[str, Any]) -> str:
    """A short name of a point for plots and tables: candidate, pruning, and the varied fields."""
    import json

    hw = json.loads(row["hw"]) if isinstance(row.get("hw"), str) else (row.get("hw") or {})
    parts = []
    if "pe_array.rows" in hw and "pe_array.cols" in hw:
        parts.append(f"{hw['pe_array.rows']}x{hw['pe_array.cols']}")
    for k, v in hw.items():
        if k in ("pe_array.rows", "pe_array.cols"):
            continue
        if k.endswith("size_kib") or k.endswith("buffer_kib"):
            parts.append(f"{k.split('.')[-2] if '.' in k else k[:-4]}={v:g}KiB")
        elif k == "clock_mhz":
            parts.append(f"{v:g}MHz")
        elif k == "dram.bandwidth_gb_per_s":
            parts.append(f"{v:g}GB/s")
        elif k == "pe_array.dataflow":
            parts.append(str(v).upper())
        else:
            parts.append(f"{k.split('.')[-1]}={v}")
    bits = "" if row.get("bits") in (8, None) else f" {row['bits']}b"
    return " ".join([f"{row['candidate']} {row['sparsity']}{bits}", *parts])


def point_report(store: ResultStore, point_id: int):
    """(Report, spec) of one stored point, simulated in full (every layer) from the stored space."""
    import yaml

    from cosim.search.space import parse_space
    from cosim.search.specs import build_spec
    from cosim.search.workload_variants import workload_variant
    from cosim.simulate import simulate

    meta = store.meta()
    space = parse_space(yaml.safe_load(meta["space_yaml"]), text=meta["space_yaml"],
                        base_dir=Path(meta["space_dir"]) if meta.get("space_dir") else None)
    require(space.digest == meta.get("space_digest"),
            "the store's design space no longer builds the same points (a preset changed?); re-run the sweep")
    require(0 <= point_id < space.size, f"--point {point_id} is not in the space (0..{space.size - 1})")
    p = space.point(point_id)
    cand = next(c for c in space.candidates if c.name == p.candidate)
    spec = build_spec(cand, p.hw)
    require(not isinstance(spec, str), f"--point {point_id} has an invalid spec: {spec}")
    from cosim.search.recipe_training import accelerator_for

    graph = workload_variant(*p.pruning_key, memo_path=str(store.path),  # the model the sweep trained
                             accelerator=accelerator_for(cand, p.pruning_key)).graph
    return simulate(graph, spec, inputs={"point": p.as_dict()}), spec
