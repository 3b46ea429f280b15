"""NSGA-II over per-layer sparsities (cosim evolve) and user evaluators (--evaluator module:function)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.errors import CosimError
from cosim.search.evolve import nsga2
from cosim.search.pareto import pareto_mask

SAMPLE = str(Path(__file__).with_name("evaluator_sample.py"))


def toy(g):
    # accuracy peaks at (2, 1); latency and energy grow with the genes: a known trade-off
    return -((g[0] - 2) ** 2) - (g[1] - 1) ** 2, float(g[0] + g[1]), float(g[0])


def test_nsga2_is_deterministic_and_finds_the_whole_front_of_a_small_grid():
    a = nsga2(2, 4, toy, population=6, generations=8, seed=3)
    assert a == nsga2(2, 4, toy, population=6, generations=8, seed=3)
    every = {(i, j): toy((i, j)) for i in range(4) for j in range(4)}
    import numpy as np

    keys = list(every)
    on = pareto_mask(np.array([every[k] for k in keys]), maximize=[True, False, False])
    true_front = {k for k, o in zip(keys, on) if o}
    assert true_front <= set(a)  # every Pareto-optimal genome was evaluated


def test_infeasible_genomes_are_dropped():
    def ev(g):
        if g[0] == 3:
            raise CosimError("budget")
        return toy(g)

    assert all(g[0] != 3 for g in nsga2(2, 4, ev, population=4, generations=3, seed=0))


def test_evolve_cli_on_the_digits_mlp(tmp_path):
    import json

    from click.testing import CliRunner

    from cosim.cli import cli

    out = tmp_path / "front.json"
    r = CliRunner().invoke(cli, ["evolve", "-w", "digits-mlp", "-a", "sparse-32x32-unstructured", "-p",
                                 "unstructured:0.9", "--population", "4", "--generations", "1",
                                 "--finetune-epochs", "0", "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "test accuracy (measured)" in r.output
    doc = json.loads(out.read_text())
    front = doc["front"]
    assert front and all(set(f["layer_sparsity"]) == {"fc1", "fc2", "fc3"} for f in front)
    lat = [f["latency_s"] for f in front]
    acc = [f["accuracy"] for f in front]
    assert lat == sorted(lat)
    # a front: no member is worse in accuracy, latency and energy than another
    for i, a in enumerate(front):
        for b in front[:i] + front[i + 1:]:
            assert not (b["accuracy"] >= a["accuracy"] and b["latency_s"] <= a["latency_s"]
                        and b["energy_j"] <= a["energy_j"] and b != a and
                        (b["accuracy"], b["latency_s"], b["energy_j"]) != (a["accuracy"], a["latency_s"], a["energy_j"]))
    assert max(acc) > 0.9


def test_a_zoo_workload_evolves_on_the_named_proxy():
    from cosim.search.evolve import evolve_pruning

    res = evolve_pruning("mlp", "s2ta-32x32-nm", "2:4", population=3, generations=1)
    assert res.accuracy_kind == "proxy:accuracy_proxy_network_aware" and res.front


def test_user_evaluator_is_called_with_the_pruned_weights(tmp_path, capsys):
    from cosim.cli import main

    try:
        main(["prune", "--evaluator", f"{SAMPLE}:kept_energy", "-p", "unstructured:0.5", "-q",
              "--out", str(tmp_path / "m.npz")])
    except SystemExit as e:
        assert e.code in (0, None)
    text = capsys.readouterr().out
    assert "test accuracy (measured)" in text
    # magnitude pruning at 50 % keeps most of fc1's energy (He-normal weights: ~82 %)
    acc = float(text.split("-> ")[1].split("%")[0]) / 100
    assert 0.7 < acc < 0.95


@pytest.mark.parametrize("spec, fragment", [
    ("nosuchmodule_xyz:f", "cannot be imported"), (f"{SAMPLE}:missing", "not a function"),
    (f"{SAMPLE}:not_a_number", "must return an accuracy"), ("nocolon", "module:function"),
])
def test_bad_evaluators_are_one_line(spec, fragment):
    from cosim.search.evaluator import load_evaluator

    with pytest.raises(CosimError, match=fragment):
        fn = load_evaluator(spec)
        fn({"fc1": 0})
