"""Plots: energy–latency Pareto fronts of a sweep, per-layer cycle/energy breakdowns, rooflines.

Matplotlib with the Agg backend (no display needed); every figure is written as PNG or SVG by the
file suffix. Axes carry units; fronts are numbered on the plot and named in a legend table beside it,
so design labels never overlap the data; legends sit outside the axes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from cosim.errors import CosimError, require
from cosim.metrics import MAXIMISED
from cosim.outputs import atomic_output

# metric → (axis label, scale factor from the stored unit)
AXES = {
    "latency_s": ("latency (ms)", 1e3), "energy_j": ("energy (mJ)", 1e3), "edp_j_s": ("energy-delay (mJ·ms)", 1e6),
    "total_cycles": ("cycles", 1.0), "stall_cycles": ("stall cycles", 1.0), "dram_bytes": ("DRAM traffic (MB)", 1e-6),
    "utilization": ("PE utilization (%)", 100.0), "throughput_inferences_per_s": ("throughput (inferences/s)", 1.0),
    "peak_macs_per_cycle": ("peak MACs/cycle", 1.0), "peak_macs_per_s": ("peak TMAC/s", 1e-12),
    "sram_kib": ("on-chip SRAM (KiB)", 1.0), "area_mm2": ("area (mm²)", 1.0),
    "weight_density": ("weight density", 1.0),
    "params_nonzero": ("nonzero weights (M)", 1e-6), "model_bytes": ("model size (MB)", 1e-6),
    "accuracy": ("top-1 accuracy (%)", 100.0),
    "accuracy_proxy_weight_norm": ("accuracy proxy: weight norm kept (%)", 100.0),
    "accuracy_measured_or_proxy": ("accuracy: measured top-1, else weight-norm proxy (%)", 100.0),
    "accuracy_proxy_network_aware": ("accuracy proxy: network-aware kept energy (%)", 100.0),
    "macs": ("MACs (G)", 1e-9), "effectual_macs": ("effectual MACs (G)", 1e-9),
}
KIND_COLORS = {"systolic": "#1f77b4", "sparse_tensor_core": "#d62728", "fpga": "#2ca02c"}
MAX_LABELS = 8  # numbered front points per panel; the rest of the front is drawn but not numbered


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def axis_label(metric: str) -> str:
    return AXES.get(metric, (metric, 1.0))[0]


def _scaled(metric: str, values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float) * AXES.get(metric, (metric, 1.0))[1]


def save_figure(fig, path: str | Path) -> Path:
    path = Path(path)
    require(path.suffix.lower() in (".png", ".svg"), f"plot file '{path}': use a .png or .svg name")
    require(path.parent.is_dir(), f"output folder '{path.parent}' does not exist; create it first")
    try:
        with atomic_output(path, "plot file", suffix=path.suffix) as tmp:  # exclusive temp, never a link
            fig.savefig(tmp, dpi=130, bbox_inches="tight")
    except OSError as e:
        raise CosimError(f"plot file '{str(path)[:120]}' could not be written: {e.strerror}") from None
    finally:
        _plt().close(fig)
    return path


# Log axes once values span more than 1.5 decades: linear axes squash custom sweeps into a corner.
LOG_SPAN = 10 ** 1.5


def _log_if_wide(ax, axis: str, values: np.ndarray) -> bool:
    """Log scale for data spanning more than LOG_SPAN, with plain tick labels at 1, 2, 5 × 10^k."""
    v = values[np.isfinite(values) & (values > 0)]
    if not (v.size and v.max() / v.min() > LOG_SPAN):
        return False
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    a = ax.xaxis if axis == "x" else ax.yaxis
    a.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    a.set_major_formatter(FuncFormatter(lambda t, _: f"{t:g}"))
    a.set_minor_formatter(NullFormatter())
    return True


def _pick_labels(n: int, k: int = MAX_LABELS) -> list[int]:
    """Up to ``k`` positions spread evenly along a front of ``n`` sorted points (both ends included)."""
    if n <= k:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, k).round().astype(int).tolist()))


def plot_front(table, path: str | Path, colors: Sequence[tuple[str, np.ndarray]] = (),
               title: str | None = None) -> Path:
    """Front over the first two objectives, one panel per workload (see :func:`front_figure`)."""
    return save_figure(front_figure(table, colors, title), path)


def front_figure(table, colors: Sequence[tuple[str, np.ndarray]] = (), title: str | None = None):
    """The front plot as a matplotlib figure: one panel per workload over the first two objectives.

    Dominated points are faded; front points that are non-dominated in the panel's two objectives are
    filled and joined by the 2-D staircase; with a third objective, front points that are on the front
    only by it (dominated in x–y) are hollow, in the legend as such, and never joined. A subset is
    numbered (a leader line to its dot) and named in a table beside the panel; the legend sits below
    the axes, so it never hides a point; an axis whose values span more than 1.5 decades is
    logarithmic. ``colors``: (metric, values aligned with ``table.ids``) in order of preference; each
    panel is coloured by the first with values for its points, and its title names that metric as
    the colour bar does; default: by accelerator kind.
    """
    from matplotlib import colors as mcolors

    from cosim.search.front import design_label, varied_fields
    from cosim.search.pareto import pareto_mask

    plt = _plt()
    require(len(table.objectives) >= 2, "a front plot needs two objectives (x and y)")
    xm, ym = table.objectives[:2]
    zm = table.objectives[2] if len(table.objectives) > 2 else None
    groups = table.group_names() or ["(no ok points)"]
    fig, axes = plt.subplots(len(groups), 1, figsize=(11.5, 5.0 * len(groups)), squeeze=False)
    front_rows = {r["id"]: r for r in table.front}
    varied = varied_fields(table.front)
    what = " x ".join(axis_label(o).split(" (")[0] for o in table.objectives)
    for ax, g in zip(axes[:, 0], groups):
        sel = table.groups == g
        x, y = _scaled(xm, table.values[sel, 0]), _scaled(ym, table.values[sel, 1])
        on = table.on_front[sel]
        ids = table.ids[sel]
        ax.scatter(x[~on], y[~on], s=9, c="0.55", alpha=0.25, linewidths=0, label=f"dominated ({int((~on).sum())})",
                   rasterized=True)
        order = np.argsort(x[on], kind="stable")
        fx, fy, fids = x[on][order], y[on][order], ids[on][order]
        # 2-D non-dominated among the front points (the staircase) vs on the front by the third objective only
        flat = pareto_mask(np.stack([table.values[sel][on][order][:, 0], table.values[sel][on][order][:, 1]], axis=1),
                           [o in MAXIMISED for o in (xm, ym)]) if fx.size else np.zeros(0, dtype=bool)
        if flat.any():
            ax.step(fx[flat], fy[flat], where="post", color="k", lw=1.0, alpha=0.7, zorder=2)
        metric, cvals = next(((m, _scaled(m, v[sel][on][order])) for m, v in colors
                              if np.isfinite(v[sel]).any()), (None, None))
        only_z = f"on the front by {axis_label(zm).split(' (')[0]} only" if zm else ""
        if metric is not None:
            allc = _scaled(metric, next(v for m, v in colors if m == metric)[sel])
            finite = allc[np.isfinite(allc)]
            norm = mcolors.Normalize(vmin=finite.min(), vmax=finite.max())
            cmap = plt.get_cmap("viridis")
            rgba = np.array([cmap(norm(c)) if np.isfinite(c) else (0.6, 0.6, 0.6, 1.0) for c in cvals]).reshape(-1, 4)
            ax.scatter(fx[flat], fy[flat], s=46, color=rgba[flat], edgecolors="k", linewidths=0.8, zorder=3,
                       label=f"Pareto front in x-y ({int(flat.sum())})" if zm else f"Pareto front ({fx.size})")
            if (~flat).any():
                ax.scatter(fx[~flat], fy[~flat], s=46, facecolors="white", edgecolors=rgba[~flat], linewidths=1.6,
                           zorder=3, label=f"{only_z} ({int((~flat).sum())})")
            fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01).set_label(axis_label(metric))
        else:
            kinds = [front_rows[i]["kind"] for i in fids]
            for kind in dict.fromkeys(kinds):
                m = np.array([k == kind for k in kinds])
                col = KIND_COLORS.get(kind, "#9467bd")
                ax.scatter(fx[m & flat], fy[m & flat], s=46, color=col, edgecolors="k", linewidths=0.8, zorder=3,
                           label=f"front: {kind} ({int((m & flat).sum())})")
                if (m & ~flat).any():
                    ax.scatter(fx[m & ~flat], fy[m & ~flat], s=46, facecolors="white", edgecolors=col,
                               linewidths=1.6, zorder=3, label=f"{kind}, {only_z} ({int((m & ~flat).sum())})")
        lines = []
        # Designs with equal coordinates share one number: first index of each distinct (x, y).
        _, first, counts = np.unique(np.stack([fx, fy], axis=1), axis=0, return_index=True, return_counts=True)
        order_u = np.argsort(first)
        distinct, same = first[order_u], counts[order_u]
        for num, u in enumerate(_pick_labels(distinct.size), start=1):
            j = distinct[u]
            # Alternate above-right and below-left, each tied to its dot by a leader line.
            ax.annotate(str(num), (fx[j], fy[j]), xytext=(11, 11) if num % 2 else (-17, -17),
                        textcoords="offset points", fontsize=8, fontweight="bold", zorder=4, ha="center",
                        va="center", gid=f"front-label-{fids[j]}",
                        arrowprops=dict(arrowstyle="-", color="0.35", lw=0.6, shrinkA=0, shrinkB=3),
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="0.5", lw=0.5, alpha=0.85))
            more = f" (+{same[u] - 1} equal)" if same[u] > 1 else ""
            lines.append(f"{num}. {design_label(front_rows[fids[j]], varied)}{more}\n    {fx[j]:.3g} / {fy[j]:.3g}")
        _log_if_wide(ax, "x", x)
        _log_if_wide(ax, "y", y)
        ax.set_xlabel(axis_label(xm))
        ax.set_ylabel(axis_label(ym))
        ax.set_title(f"{g}: front over {what}" + (f"; colour: {axis_label(metric)}" if metric else ""), fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
        # Below the axes (under the x label): a legend inside the axes hides the points behind it.
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=3, fontsize=8, frameon=False,
                  borderaxespad=0.0)
        if lines:
            ax.text(1.02 if metric is None else 1.30, 1.0, "numbered front designs\n(x / y in axis units)\n\n" +
                    "\n".join(lines), transform=ax.transAxes, va="top", ha="left", fontsize=7.5, family="monospace")
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def plot_breakdown(report, path: str | Path, top_n: int = 15) -> Path:
    """Per-layer cycles (compute / stall) and energy by component, stacked bars: the top-N layers by
    energy in network order; the title says which share of the network's cycles and energy they hold."""
    plt = _plt()
    require(top_n >= 1, f"--top must be >= 1, got {top_n}")
    layers = list(report.layers)
    energy = np.array([l.energy_pj_total for l in layers])
    top = sorted(np.argsort(-energy, kind="stable")[:top_n].tolist())
    shown = [layers[i] for i in top]
    comps = sorted({c for l in layers for c in l.energy_pj}, key=lambda c: -sum(l.energy_pj.get(c, 0) for l in layers))
    e_share = sum(l.energy_pj_total for l in shown) / max(energy.sum(), 1e-30)
    c_share = sum(l.total_cycles for l in shown) / max(sum(l.total_cycles for l in layers), 1)

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(8.0, 0.55 * len(shown) + 3) + 1.6, 8.5), sharex=True)
    pos = np.arange(len(shown))
    comp_c = np.array([l.compute_cycles for l in shown]) / 1e6
    stall_c = np.array([l.stall_cycles for l in shown]) / 1e6
    ax1.bar(pos, comp_c, color="#1f77b4", label="compute")
    ax1.bar(pos, stall_c, bottom=comp_c, color="#ff7f0e", label="stall (memory)")
    ax1.set_ylabel("cycles (millions)")
    # Legends sit outside the axes, to the right: stacked bars fill the plot area, so no corner is free.
    ax1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax1.set_title(f"{report.workload} on {report.accelerator}: top {len(shown)} of {len(layers)} layers by energy "
                  f"({100 * e_share:.0f}% of energy, {100 * c_share:.0f}% of cycles)", fontsize=11)
    bottom = np.zeros(len(shown))
    cmap = plt.get_cmap("tab10")
    for k, c in enumerate(comps):
        v = np.array([l.energy_pj.get(c, 0.0) for l in shown]) / 1e6
        ax2.bar(pos, v, bottom=bottom, color=cmap(k % 10), label=c)
        bottom += v
    ax2.set_ylabel("energy (µJ)")
    ax2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, title="component",
               title_fontsize=8)
    ax2.set_xticks(pos)
    ax2.set_xticklabels([f"{l.name} ({l.op})" for l in shown], rotation=60, ha="right", fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_roofline(report, spec: Any, path: str | Path) -> Path:
    """Each compute layer at (effectual MACs per DRAM byte, achieved effectual MAC/s) under the
    accelerator's roofline: peak compute (peak MACs/cycle × clock) and DRAM bandwidth × intensity.
    Effectual MACs (the work left after skipping zeros) keep sparse layers under the dense peak; layers
    with no DRAM traffic (operands resident on chip) have no intensity and are counted in the legend."""
    plt = _plt()
    compute = [l for l in report.layers if l.macs > 0 and l.latency_s > 0]
    require(compute, "the report has no compute layers to place on a roofline")
    layers = [l for l in compute if l.dram_read_bytes + l.dram_write_bytes > 0]
    resident = len(compute) - len(layers)
    peak = spec.peak_macs_per_cycle * spec.clock_mhz * 1e6
    bw = spec.dram.bandwidth_gb_per_s * 1e9
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    dram = np.array([l.dram_read_bytes + l.dram_write_bytes for l in layers], dtype=float)
    work = np.array([max(l.effectual_macs, 1) for l in layers], dtype=float)
    intensity = work / dram if layers else np.array([peak / bw])
    achieved = work / np.array([l.latency_s for l in layers]) if layers else np.array([peak])
    lo = min(intensity.min(), peak / bw) / 4
    hi = max(intensity.max(), peak / bw) * 4
    xs = np.geomspace(lo, hi, 200)
    ax.plot(xs, np.minimum(peak, bw * xs), color="k", lw=1.6, label="roofline")
    ax.axhline(peak, color="#d62728", ls="--", lw=1, label=f"peak compute {peak / 1e9:,.0f} GMAC/s")
    ax.plot(xs, bw * xs, color="#1f77b4", ls=":", lw=1, label=f"DRAM {spec.dram.bandwidth_gb_per_s:g} GB/s")
    if layers:
        sizes = 20 + 200 * work / work.max()
        for k, op in enumerate(sorted({l.op for l in layers})):
            m = np.array([l.op == op for l in layers])
            ax.scatter(intensity[m], achieved[m], s=sizes[m], alpha=0.7, edgecolors="k", linewidths=0.5,
                       color=plt.get_cmap("tab10")(k + 2), label=f"{op} layers ({int(m.sum())})", zorder=3)
    if resident:
        ax.plot([], [], " ", label=f"{resident} layers without DRAM traffic (not shown)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(achieved.min() / 3, peak * 2.5)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("arithmetic intensity (effectual MACs per DRAM byte)")
    ax.set_ylabel("achieved effectual MAC/s")
    ax.set_title(f"roofline: {report.workload} on {report.accelerator} (marker area ∝ MACs)", fontsize=11)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)  # outside: hides no layer
    fig.tight_layout()
    return save_figure(fig, path)


def front_colors(store, table, metrics: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """(metric, values aligned with ``table.ids``) for each metric, for ``plot_front(colors=...)``."""
    out = []
    for m in metrics:
        ids, vals = store.column(m)
        lookup = dict(zip(ids.tolist(), vals.tolist()))
        out.append((m, np.array([lookup.get(i, np.nan) for i in table.ids.tolist()], dtype=float)))
    return out


__all__: Sequence[str] = ("plot_front", "front_figure", "plot_breakdown", "plot_roofline", "save_figure", "axis_label",
                          "front_colors")
