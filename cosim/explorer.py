"""The interactive Pareto explorer: one self-contained, offline HTML file of a sweep store.

``cosim plot STORE --html front.html`` writes it: the ok points of the store as inline JSON, drawn by
inline JavaScript as SVG (cosim/explorer.html; no CDN, no library, nothing fetched). Hovering a point
shows its design and pruning recipe, clicking it shows its per-layer breakdown (latency, energy and
what bounds each layer, from ``point_report``: the full simulation of that point), and the x, y and
colour metrics and the workload are switchable; the front (non-dominated in the two shown metrics,
accuracy-like metrics maximised) is recomputed in the page for every choice.

Per-layer breakdowns are simulated here for a subset only (``breakdowns`` front points per workload,
spread along the front over the space's objectives): simulating every stored point would take as
long as the sweep. Other points say which command gives theirs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from cosim.errors import CosimError, require
from cosim.metrics import MAXIMISED, METRICS
from cosim.outputs import atomic_output

TEMPLATE = Path(__file__).with_name("explorer.html")
DATA_MARK = "/*__COSIM_DATA__*/null"
DEFAULT_BREAKDOWNS = 25  # per workload: a few seconds of simulation for the main job's store
# Beyond this many ok points the page carries the front points and an even sample of the rest (and says
# so): a browser draws ~10^5 SVG circles, not millions.
MAX_POINTS = 100_000


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _spread(n: int, k: int) -> list[int]:
    if n <= k:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, k).round().astype(int).tolist()))


def _space_objectives(store) -> list[str]:
    import yaml

    try:
        raw = yaml.safe_load(store.meta().get("space_yaml") or "") or {}
    except yaml.YAMLError:
        raw = {}
    objs = [o for o in (raw.get("objectives") or []) if o in METRICS and o in store.columns]
    return objs[:3] if len(objs) >= 2 else ["latency_s", "energy_j"]


def layer_breakdown(report) -> dict[str, Any]:
    """A report's layers (those fused into a producer counted, not listed) as compact rows, and where the
    network's time goes."""
    rows = [[l.name, l.op, l.latency_s, l.energy_pj_total, l.bound] for l in report.layers if l.bound != "fused"]
    return {"layers": rows, "fused": sum(l.bound == "fused" for l in report.layers),
            "latency_s": report.total.latency_s, "energy_pj": report.total.energy_pj,
            "by_bound": dict(report.total.latency_s_by_bound), "notes": list(report.notes)}


def explorer_data(store, breakdowns: int = DEFAULT_BREAKDOWNS) -> dict[str, Any]:
    """What the page draws: every ok point (metrics, design label, recipe), and per-layer breakdowns
    of up to ``breakdowns`` front points per workload."""
    from cosim.search.front import design_label, front_table, point_report, varied_fields

    require(breakdowns >= 0, f"--html-breakdowns must be >= 0, got {breakdowns}")
    rows = list(store.iter_rows(status="ok"))
    require(rows, "the store has no ok points to explore")
    objectives = _space_objectives(store)
    table = front_table(store, objectives)
    shown_of = len(rows)
    if len(rows) > MAX_POINTS:  # every front point, and an even sample of the others
        keep = {r["id"] for r in table.front}
        step = -(-(len(rows) - len(keep)) // max(MAX_POINTS - len(keep), 1))
        others = [r for r in rows if r["id"] not in keep][::step]
        rows = [r for r in rows if r["id"] in keep] + others
    metrics = [m for m in METRICS if m in store.columns and any(_num(r.get(m)) is not None for r in rows)]
    varied = varied_fields(rows)
    points = []
    for r in rows:
        hw = json.loads(r["hw"]) if isinstance(r.get("hw"), str) else (r.get("hw") or {})
        points.append({"id": int(r["id"]), "workload": r["workload"], "kind": r["kind"],
                       "label": design_label(r, varied),
                       "recipe": {"candidate": r["candidate"], "kind": r["kind"], "sparsity": r["sparsity"],
                                  "allocation": r["allocation"], "bits": r["bits"], **hw},
                       "m": [_num(r.get(m)) for m in metrics]})
    chosen: list[int] = []
    for g in table.group_names():
        front = sorted((r for r in table.front if r["workload"] == g), key=lambda r: r[objectives[0]])
        chosen += [front[i]["id"] for i in _spread(len(front), breakdowns)]
    layers, missing = {}, ""
    for pid in chosen:
        try:
            report, _ = point_report(store, int(pid))
        except CosimError as e:  # the space no longer builds (a preset changed): say so once in the page
            missing = str(e)
            break
        layers[str(pid)] = layer_breakdown(report)
    return {"metrics": metrics, "maximised": [m for m in metrics if m in MAXIMISED], "objectives": objectives,
            "points": points, "of_points": shown_of, "layers": layers, "layers_missing": missing,
            "store": str(store.path)}


def render(data: dict[str, Any]) -> str:
    """The page: the template with ``data`` inlined as JSON (``</`` escaped so no string ends the script)."""
    page = TEMPLATE.read_text(encoding="utf-8")
    require(DATA_MARK in page, f"explorer template {TEMPLATE} lacks its data mark; reinstall cosim")
    blob = json.dumps(data, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    return page.replace(DATA_MARK, blob)


def write_explorer(store, path: str | Path, breakdowns: int = DEFAULT_BREAKDOWNS) -> Path:
    """Write the explorer of ``store`` (an open ResultStore) to ``path`` (.html), atomically."""
    path = Path(path)
    require(path.suffix.lower() in (".html", ".htm"), f"--html '{path}': use a .html name")
    require(path.parent.is_dir(), f"output folder '{path.parent}' does not exist; create it first")
    text = render(explorer_data(store, breakdowns))
    with atomic_output(path, "explorer file", suffix=path.suffix) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path


__all__: Sequence[str] = ("write_explorer", "explorer_data", "render", "layer_breakdown")
