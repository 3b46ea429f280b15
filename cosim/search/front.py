"""Pareto fronts of a result store: the non-dominated ok points per workload, as rows and CSV.

Latency and energy of different networks are not comparable, so a front is taken per workload (the
``by`` column); objectives named in ``MAXIMISED`` (accuracy) are maximised, the rest minimised.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

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


def front_table(store: ResultStore, objectives: Sequence[str], by: str = "workload",
                max_values: Mapping[str, float] | None = None) -> FrontTable:
    """Arrays of the ok points over ``objectives`` and their front membership within each ``by`` group.
    ``max_values``: metric → upper bound; points above it (or without the metric) are left out.

    Memory is a few numbers per point (a million points fit), plus full rows of the front only.
    """
    require(1 <= len(objectives) <= 3, f"give 1 to 3 objectives, got {len(objectives)}")
    limits = dict(max_values or {})
    for o in [*objectives, *limits]:
        require(o in METRICS, f"objective '{o}' is not a metric; use one of {', '.join(METRICS)}")
    names = list(objectives) + [m for m in limits if m not in objectives]
    ids, f = store.metric_arrays(names)
    _, groups = store.column(by)
    keep = np.ones(len(ids), dtype=bool)
    for m, top in limits.items():
        with np.errstate(invalid="ignore"):
            keep &= f[:, names.index(m)] <= top  # NaN: not reported, so not within the bound
    ids, f, groups = ids[keep], f[keep, :len(objectives)], groups[keep]
    on = np.zeros(len(ids), dtype=bool)
    maximize = [o in MAXIMISED for o in objectives]
    for key in dict.fromkeys(groups.tolist()):
        idx = np.flatnonzero(groups == key)
        on[idx[pareto_mask(f[idx], maximize)]] = True
    rows = store.rows_by_id(ids[on])
    return FrontTable(tuple(objectives), ids, f, groups, on, [rows[i] for i in sorted(rows)])


def empty_front_reason(store: ResultStore, objectives: Sequence[str], max_values: Mapping[str, float]) -> str:
    """Why no ok point is on a front: an objective no point reports, or a bound none meets."""
    for o in objectives:
        _, f = store.metric_arrays([o])
        if not np.isfinite(f).any():
            return (f"no ok point reports {o} (its accelerator kinds do not); pick another objective "
                    "or re-run the sweep with this cosim version")
    for m, top in max_values.items():
        _, f = store.metric_arrays([m])
        finite = f[np.isfinite(f)]
        least = f"{finite.min():.4g}" if finite.size else "none reported"
        return f"no ok point has {m} <= {top:g} (smallest: {least}); raise the bound"
    return "no ok point has finite values of every objective"


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


# Hardware fields whose last path part alone does not say what it is (macs_per_cycle_per_sm.int8 -> int8).
_PRECISION_KEYS = {"int4", "int8", "int16", "fp8", "fp16", "bf16", "fp32", "tf32"}


def varied_fields(rows: Sequence[dict[str, Any]]) -> frozenset[str]:
    """The pruning columns (sparsity, allocation, bits) and hardware fields whose values differ among
    ``rows``: what a label must show to tell the rows apart."""
    import json

    seen: dict[str, set] = {}
    for r in rows:
        hw = json.loads(r["hw"]) if isinstance(r.get("hw"), str) else (r.get("hw") or {})
        for k, v in [*((c, r.get(c)) for c in ("candidate", "sparsity", "allocation", "bits")), *hw.items()]:
            seen.setdefault(k, set()).add(json.dumps(v, sort_keys=True, default=str))
    return frozenset(k for k, vals in seen.items() if len(vals) > 1)


def hw_part(key: str, value: Any) -> str:
    """One varied hardware field, short: ``sram.ifmap.size_kib=64`` -> ``ifmap=64KiB``."""
    parts = key.split(".")
    last = parts[-1]
    v = f"{value:g}" if isinstance(value, float) else str(value)
    if last.endswith("size_kib") or last.endswith("buffer_kib"):
        return f"{parts[-2] if len(parts) > 1 else last[:-4]}={v}KiB"
    if last == "clock_mhz":
        return f"{v}MHz"
    if key == "dram.bandwidth_gb_per_s":
        return f"{v}GB/s"
    if key == "pe_array.dataflow":
        return v.upper()
    if last == "technology_nm":
        return f"{v}nm"
    if last in _PRECISION_KEYS and len(parts) > 1:
        return f"{parts[-2]}.{last}={v}"
    return f"{last}={v}"


def design_label(row: dict[str, Any], varied: frozenset[str] | None = None) -> str:
    """A short name of a point for plots and tables: candidate, pruning, and its hardware fields.

    ``varied`` (from :func:`varied_fields` over the rows shown together) adds the allocation and bit
    width wherever they vary among those rows; without it the allocation shows where it is not the
    default (uniform); a bit width other than 8 always shows. Every hardware field of the point shows."""
    import json

    hw = json.loads(row["hw"]) if isinstance(row.get("hw"), str) else (row.get("hw") or {})
    parts = []
    if "pe_array.rows" in hw and "pe_array.cols" in hw:
        parts.append(f"{hw['pe_array.rows']}x{hw['pe_array.cols']}")
    for k, v in hw.items():
        if k not in ("pe_array.rows", "pe_array.cols"):
            parts.append(hw_part(k, v))
    bits, alloc = row.get("bits"), row.get("allocation")
    show_bits = bits is not None and (bits != 8 or (varied is not None and "bits" in varied))
    show_alloc = alloc is not None and ("allocation" in varied if varied is not None else alloc != "uniform")
    head = f"{row['candidate']} {row['sparsity']}" + (f" {bits}b" if show_bits else "") + (f" {alloc}" if show_alloc else "")
    return " ".join([head, *parts])


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
