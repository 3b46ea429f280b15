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
