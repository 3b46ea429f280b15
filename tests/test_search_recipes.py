"""Training recipes in the co-search: searchable, each distinct one trained once and kept in the store."""

from __future__ import annotations

import sqlite3

import pytest

from cosim.errors import CosimError
from cosim.prune.distill import Distill
from cosim.search.recipes import Recipe, parse_recipe, recipe_key
from cosim.search.space import parse_space
from cosim.search.sweep import run_sweep


@pytest.mark.parametrize("text, want", [
    ("default", Recipe()),
    ("one-shot:ft=0", Recipe(finetune_epochs=0)),
    ("poly:steps=5:ft=3:scope=global", Recipe("poly", 5, 3, scope="global")),
    ("iterative:steps=2:ft=1:distill=4,0.7", Recipe("iterative", 2, 1, Distill(4.0, 0.7))),
])
def test_parse(text, want):
    assert parse_recipe(text) == want


@pytest.mark.parametrize("text, fragment", [
    ("cosine", "schedule 'cosine'"), ("poly:ft", "KEY=VALUE"), ("poly:ft=x", "not an integer"),
    ("poly:steps=0", "steps must be"), ("poly:scope=all", "scope"), ("poly:distill=9", "T,ALPHA"),
    ("poly:criterion=biggest", "criterion"),
])
def test_bad_recipes_are_one_line(text, fragment):
    with pytest.raises(CosimError, match=fragment):
        parse_recipe(text)


def test_the_key_normalises_the_text():
    assert recipe_key("Digits-MLP", "2:4", "uniform", 8, "default") == recipe_key(
        "digits-mlp", "2:4", "uniform", 8, "one-shot:ft=5")


SPACE = {
    "name": "recipes", "workloads": ["digits-mlp", "mlp"],
    "pruning": {"sparsity": ["2:4"], "recipe": ["default", "one-shot:ft=0"]},
    "candidates": [{"name": "sys", "base": "scalesim-32x32-ws",
                    "vary": {"pe_array.rows": [16, 32], "pe_array.cols": [16, 32, 64]}}],
    "objectives": ["latency_s", "energy_j", "accuracy"],
}


def test_each_recipe_is_trained_once_for_all_its_points_and_survives_resume(tmp_path, monkeypatch):
    import cosim.search.workload_variants as wv

    calls = []
    real = wv.train_variant
    monkeypatch.setattr(wv, "train_variant", lambda *a: calls.append(a) or real(*a))
    wv.workload_variant.cache_clear()
    space = parse_space(SPACE)
    res = run_sweep(space, tmp_path, sampler="random", points=10, seed=1, executor="serial", progress=False,
                    chunk_size=3)
    assert res.recipe_points == sum(1 for i in _sampled(space, 10, 1) if space.point(i).workload == "digits-mlp")
    assert res.recipes_trained == len(calls) == len({(c[0], c[4]) for c in calls}) <= 2
    con = sqlite3.connect(tmp_path / "sweep.sqlite")
    accs = dict(con.execute("SELECT recipe, accuracy FROM points WHERE workload = 'digits-mlp'").fetchall())
    assert all(0.5 < a <= 1 for a in accs.values())
    if len(accs) == 2:  # five epochs of fine-tuning recover what no fine-tuning loses
        assert accs["default"] >= accs["one-shot:ft=0"]
    assert con.execute("SELECT COUNT(*) FROM recipes").fetchone()[0] == res.recipes_trained
    proxies = con.execute("SELECT DISTINCT accuracy FROM points WHERE workload = 'mlp'").fetchall()
    assert proxies == [(None,)]  # nothing measurable: NaN stored, the proxy column holds the estimate
    con.close()
    # the rest of the grid, resumed in a fresh process's state: nothing is trained again
    calls.clear()
    wv.workload_variant.cache_clear()
    more = run_sweep(space, tmp_path, sampler="random", points=10, seed=1, executor="serial", progress=False,
                     resume=True)
    assert more.evaluated == 0 and not calls


def _sampled(space, n, seed):
    from cosim.search.samplers import make_sampler

    return [int(i) for b in make_sampler("random", space, n, seed).batches() for i in b]


def test_a_space_with_a_bad_recipe_is_refused_at_load():
    bad = dict(SPACE, pruning={"sparsity": ["2:4"], "recipe": ["poly:ft=-1"]})
    with pytest.raises(CosimError, match="ft must be"):
        parse_space(bad)


def test_hardware_aware_allocation_is_made_per_candidate_and_meets_its_budget(tmp_path):
    from cosim.hw.loader import load_accelerator
    from cosim.search.evaluate import evaluate_indices
    from cosim.search.hw_allocation import parse_hw_allocation
    from cosim.simulate import simulate
    from cosim.workloads import load_workload

    space = parse_space({
        "name": "hw", "workloads": ["mlp"],
        "pruning": {"sparsity": ["unstructured:0.9"], "allocation": ["uniform", "hw-latency:0.7"]},
        "candidates": [{"name": "lanes", "base": "sparse-32x32-unstructured"},
                       {"name": "dense-array", "base": "scalesim-32x32-ws"}]})
    rows = {(r["candidate"], r["allocation"]): r for r in evaluate_indices(space, range(space.size))}
    dense = simulate(load_workload("mlp"), load_accelerator("sparse-32x32-unstructured")).total.latency_s
    lanes = rows[("lanes", "hw-latency:0.7")]
    assert lanes["status"] == "ok" and lanes["latency_s"] <= 0.7 * dense * (1 + 1e-9)
    assert 0.1 < lanes["weight_density"] < 1  # layers pruned to their own levels, not all to 90 %
    # a dense systolic array saves no time on unstructured zeros: that budget is infeasible, with the reason
    stuck = rows[("dense-array", "hw-latency:0.7")]
    assert stuck["status"] == "infeasible" and "cannot be met" in stuck["reason"]
    assert rows[("lanes", "uniform")]["status"] == "ok"
    assert parse_hw_allocation("hw-energy:0.5") == ("energy_pj", 0.5) and parse_hw_allocation("uniform") is None
    with pytest.raises(CosimError, match=r"\(0, 1\]"):
        parse_hw_allocation("hw-latency:1.5")


def test_worker_processes_read_recipes_the_parent_trained(tmp_path):
    # the first chunk needs training: the parent trains after its workers have started (forking a
    # process whose OpenMP runtime is running aborts the child)
    space = parse_space(dict(SPACE, workloads=["digits-mlp"]))
    res = run_sweep(space, tmp_path, executor="processes", workers=2, progress=False, chunk_size=2)
    assert res.status_counts == {"ok": space.size} and res.recipes_trained == 2
    assert res.recipe_points == space.size


@pytest.mark.parametrize("allocation, fragment", [("smart", "'smart' is unknown"), ("hw-latency:2", r"\(0, 1\]")])
def test_a_bad_allocation_is_refused_at_load(allocation, fragment):
    bad = dict(SPACE, pruning={"sparsity": ["2:4"], "allocation": [allocation]})
    with pytest.raises(CosimError, match=fragment):
        parse_space(bad)


def test_the_default_co_search_ranks_digits_by_measured_fine_tuned_accuracy():
    import math

    from cosim.search.evaluate import workload_metrics
    from cosim.search.space import default_space_path, load_space

    space = load_space(default_space_path())
    assert "accuracy_measured_or_proxy" in space.objectives
    dims = {d.path: d.values for d in space.candidates[0].dims}
    assert dims["pruning.recipe"] == ("default",) and parse_recipe("default").finetune_epochs >= 1
    m = workload_metrics(("digits-cnn", "unstructured:0.75", "keep-ends", 8, "default"))
    assert not math.isnan(m["accuracy"]) and m["accuracy_measured_or_proxy"] == m["accuracy"]
    z = workload_metrics(("digits-cnn", "unstructured:0.75", "keep-ends", 8, "one-shot:ft=0"))
    assert m["accuracy"] >= z["accuracy"]  # fine-tuning recovers what one-shot pruning loses
    r = workload_metrics(("resnet50", "2:4", "keep-ends", 8, "default"))
    assert math.isnan(r["accuracy"]) and r["accuracy_measured_or_proxy"] == r["accuracy_proxy_weight_norm"]
