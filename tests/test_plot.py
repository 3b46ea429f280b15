"""Plots: fronts, per-layer breakdowns and rooflines are written as PNG and SVG, and the CLI drives them."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cosim.errors import CosimError
from cosim.plot import _pick_labels, front_colors, plot_breakdown, plot_front, plot_roofline
from cosim.search.front import front_table
from cosim.search.space import load_space
from cosim.search.store import ResultStore
from cosim.search.sweep import run_sweep
from test_search_toy import ToySpec, install, write_toy_space


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory):
    install()
    tmp = tmp_path_factory.mktemp("plot")
    space = load_space(write_toy_space(tmp))
    return run_sweep(space, tmp / "o", executor="serial", progress=False).store_path


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_front_plot_files(toy_store, tmp_path, suffix):
    with ResultStore(toy_store) as st:
        table = front_table(st, ["latency_s", "energy_j"])
        out = plot_front(table, tmp_path / f"front.{suffix}",
                         colors=front_colors(st, table, ["accuracy", "accuracy_proxy_weight_norm"]))
    assert out.stat().st_size > 5000
    assert _is_png(out) if suffix == "png" else out.read_text().lstrip().startswith("<?xml")


def test_breakdown_and_roofline(tmp_path):
    install()
    import cosim
    from cosim.simulate import simulate

    spec = ToySpec(name="toy", macs_per_cycle=64)
    report = simulate(cosim.load_workload("small_cnn"), spec)
    assert _is_png(plot_breakdown(report, tmp_path / "b.png", top_n=3))
    assert plot_roofline(report, spec, tmp_path / "r.svg").stat().st_size > 5000


def test_bad_plot_suffix_is_an_error(tmp_path):
    import cosim
    from cosim.simulate import simulate

    install()
    report = simulate(cosim.load_workload("mlp"), ToySpec(name="toy"))
    with pytest.raises(CosimError, match=".png or .svg"):
        plot_breakdown(report, tmp_path / "b.pdf")


def test_label_subset_spans_the_front():
    assert _pick_labels(3) == [0, 1, 2]
    picked = _pick_labels(100, 8)
    assert picked[0] == 0 and picked[-1] == 99 and len(picked) == 8


def test_pareto_and_plot_cli(toy_store, tmp_path):
    from cosim.cli import cli

    r = CliRunner().invoke(cli, ["pareto", str(toy_store.parent), "--x", "latency_s", "--y", "energy_j",
                                 "--csv", str(tmp_path / "f.csv"), "--png", str(tmp_path / "f.png"),
                                 "--export", str(tmp_path / "all.csv")])
    assert r.exit_code == 0, r.output
    assert "on the front" in r.output and _is_png(tmp_path / "f.png")
    lines = (tmp_path / "f.csv").read_text().splitlines()
    with ResultStore(toy_store) as st:
        ids, f = st.metric_arrays(["latency_s", "energy_j"])
    from cosim.search.pareto import pareto_mask

    assert len(lines) - 1 == int(pareto_mask(f).sum())  # one workload: one front
    r = CliRunner().invoke(cli, ["plot", "front", str(toy_store), "--out", str(tmp_path / "g.svg")])
    assert r.exit_code == 0, r.output
    assert np.isfinite(f).all()


# ---- what the front plot shows (front_figure: the figure plot_front writes) ------------------------

def _table(n=300, seed=0, lat_decades=3.0, objectives=("latency_s", "energy_j", "accuracy_proxy_weight_norm")):
    import json

    from cosim.search.front import FrontTable
    from cosim.search.pareto import pareto_mask
    from cosim.metrics import MAXIMISED

    rng = np.random.default_rng(seed)
    lat = 1e-4 * 10 ** rng.uniform(0, lat_decades, n)
    en = 1e-3 / lat ** 0.5 * rng.uniform(1, 3, n)
    acc = rng.uniform(0.5, 0.95, n)
    vals = np.stack([lat, en, acc], 1)[:, :len(objectives)]
    on = pareto_mask(vals, [o in MAXIMISED for o in objectives])
    ids = np.arange(n) * 7 + 3  # ids are not positions
    rows = [{"id": int(ids[i]), "kind": ("systolic", "fpga")[i % 2], "candidate": "c", "sparsity": "2:4",
             "allocation": "uniform", "bits": 8, "hw": json.dumps({"pe_array.rows": 32, "pe_array.cols": 16 + int(i)}),
             "workload": "w"} for i in np.flatnonzero(on)]
    return FrontTable(tuple(objectives), ids, vals, np.array(["w"] * n), on, rows), acc


def _front_fig(table, colors=()):
    from cosim.plot import front_figure

    fig = front_figure(table, colors)
    fig.canvas.draw()
    return fig


@pytest.mark.parametrize("colored", [False, True])
def test_legend_sits_outside_the_axes(colored):
    table, acc = _table()
    fig = _front_fig(table, [("accuracy_proxy_weight_norm", acc)] if colored else ())
    ax = fig.axes[0]
    leg, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert not leg.overlaps(box) and leg.y1 <= box.y0


def test_panel_title_names_the_colour_bar_metric():
    """Coloured by measured accuracy on a front over the proxy: the title says the colour is top-1
    accuracy, as the colour bar does (not 'accuracy proxy' above a 'top-1 accuracy' bar)."""
    table, acc = _table()
    fig = _front_fig(table, [("accuracy", acc), ("accuracy_proxy_weight_norm", acc)])
    ax, bar = fig.axes[0], fig.axes[1]
    assert bar.get_ylabel() == "top-1 accuracy (%)"
    assert ax.get_title().endswith("colour: top-1 accuracy (%)")


def test_three_objective_front_marks_points_on_it_by_the_third_only():
    """The staircase joins only the front points non-dominated in x–y; the others (on the 3-D front
    by the third objective) are hollow, counted in the legend, not on the staircase."""
    from cosim.search.pareto import pareto_mask

    table, _ = _table()
    f = table.values[table.on_front]
    flat = pareto_mask(f[:, :2])
    assert 0 < flat.sum() < len(f)  # the case exists
    fig = _front_fig(table)
    ax = fig.axes[0]
    stair = ax.lines[0]
    xs = set(np.round(np.asarray(stair.get_xdata()) / 1e3, 15))
    assert xs == set(np.round(f[flat, 0], 15))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    hollow = sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in legend if "on the front by accuracy proxy" in t and "only (" in t)
    assert hollow == int((~flat).sum())


def test_two_objective_front_has_no_hollow_points():
    table, _ = _table(objectives=("latency_s", "energy_j"))
    legend = [t.get_text() for t in _front_fig(table).axes[0].get_legend().get_texts()]
    assert not any("only" in t for t in legend)


def test_numbers_sit_beside_their_own_dots():
    """Each number's leader line ends on the dot of the design its table row names (ids, not
    positions)."""
    table, _ = _table()
    ax = _front_fig(table).axes[0]
    labels = [c for c in ax.get_children() if getattr(c, "get_gid", lambda: None)() and
              str(c.get_gid()).startswith("front-label-")]
    assert 2 <= len(labels) <= 8
    by_id = {int(i): v for i, v in zip(table.ids, table.values)}
    for a in labels:
        v = by_id[int(a.get_gid().rsplit("-", 1)[1])]
        assert a.xy == pytest.approx((v[0] * 1e3, v[1] * 1e3))
        assert a.arrow_patch is not None  # leader line to the dot


@pytest.mark.parametrize("decades, scale", [(1.2, "linear"), (1.6, "log"), (3.0, "log")])
def test_log_axes_where_values_span_more_than_one_and_a_half_decades(decades, scale):
    from cosim.plot import LOG_SPAN, _log_if_wide
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    wide = _log_if_wide(ax, "x", np.array([1.0, 10 ** decades]))
    assert ax.get_xscale() == scale and wide == (10 ** decades > LOG_SPAN)
    plt.close(fig)
