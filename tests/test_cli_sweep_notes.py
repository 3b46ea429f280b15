"""`cosim sweep -n N` with the grid sampler says it takes the first N points, and which candidates that leaves out."""

from types import SimpleNamespace

import yaml
from click.testing import CliRunner

from cosim.cli import cli
from cosim.cli.sweep_cmd import truncated_grid_note


def space(*sizes):
    cands = [SimpleNamespace(name=f"c{i}", size=n) for i, n in enumerate(sizes)]
    return SimpleNamespace(candidates=cands, size=sum(sizes))


def test_note_names_the_candidates_reached_by_hand():
    note = truncated_grid_note(space(10, 5, 3), 12)
    assert "first 12 of 18 points" in note
    assert "c0, c1 (part); 1 candidate(s) not reached" in note and "--sampler random -n 12" in note
    assert "not reached" not in truncated_grid_note(space(10, 5), 11)


def test_cli_prints_the_note_only_for_a_truncated_grid(tmp_path):
    spec = {"name": "mini", "workloads": ["mlp"], "objectives": ["latency_s", "energy_j"],
            "candidates": [{"name": "sys", "base": "scalesim-32x32-ws", "vary": {"pe_array.rows": [16, 32]}},
                           {"name": "big", "base": "scalesim-32x32-ws", "vary": {"pe_array.cols": [16, 32]}}]}
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    args = ["sweep", str(path), "--executor", "serial", "--no-progress", "--no-plots"]
    r = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "a"), "-n", "1"])
    assert r.exit_code == 0, r.output
    assert "first 1 of 4 points" in r.output and "sys (part); 1 candidate(s) not reached" in r.output
    r = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "b"), "-n", "1", "--sampler", "random"])
    assert r.exit_code == 0 and "grid sampler" not in r.output


def test_pareto_color_by_a_metric_no_point_has_says_so(tmp_path):
    spec = {"name": "mini", "workloads": ["mlp"], "objectives": ["latency_s", "energy_j"],
            "candidates": [{"name": "sys", "base": "scalesim-32x32-ws", "vary": {"pe_array.rows": [16, 32]}}]}
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["sweep", str(path), "--out", str(out), "--executor", "serial", "--no-progress",
                                 "--no-plots"])
    assert r.exit_code == 0, r.output
    base = ["pareto", str(out), "--png", str(tmp_path / "f.png"), "--color"]
    r = CliRunner().invoke(cli, base + ["accuracy"])
    assert r.exit_code == 0 and "--color accuracy: no point of this store has a value" in r.output
    r = CliRunner().invoke(cli, base + ["utilization"])
    assert r.exit_code == 0 and "no point of this store" not in r.output
