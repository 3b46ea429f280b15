"""Sweeps end to end on the toy accelerator: samplers, executors, statuses, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cosim.search.samplers import NSGA2Sampler, RandomSampler, permute
from cosim.search.space import load_space
from cosim.search.store import ResultStore
from cosim.search.sweep import run_sweep
from test_search_toy import install, write_toy_space

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def toy_space(tmp_path):
    install()
    return load_space(write_toy_space(tmp_path))


def rows_of(path) -> dict:
    with ResultStore(path) as st:
        return {r["id"]: {k: v for k, v in r.items() if k != "cosim_version"} for r in st.iter_rows()}


def test_statuses_infeasible_spec_and_constraint(tmp_path):
    install()
    space = load_space(write_toy_space(tmp_path, constraints={"latency_s": {"max": 5e-5}}))
    res = run_sweep(space, tmp_path / "o", executor="serial", progress=False)
    rows = rows_of(res.store_path)
    bad_spec = [r for r in rows.values() if r["reason"].startswith("spec:")]
    assert bad_spec and all(json.loads(r["hw"])["buffer_kib"] * 16 < json.loads(r["hw"])["macs_per_cycle"]
                            for r in bad_spec)
    assert all(r["status"] == "infeasible" and r["latency_s"] != r["latency_s"] for r in bad_spec)  # NaN
    slow = [r for r in rows.values() if r["reason"].startswith("latency_s")]
    assert slow and all(r["latency_s"] > 5e-5 and r["status"] == "infeasible" for r in slow)
    ok = [r for r in rows.values() if r["status"] == "ok"]
    assert ok and all(r["latency_s"] <= 5e-5 for r in ok)
    assert res.status_counts == {"infeasible": len(bad_spec) + len(slow), "ok": len(ok)}


def test_sparsity_lowers_latency_on_a_compute_bound_toy(toy_space, tmp_path):
    res = run_sweep(toy_space, tmp_path / "o", executor="serial", progress=False)
    rows = [r for r in rows_of(res.store_path).values() if r["status"] == "ok"]
    by = {}
    for r in rows:
        by.setdefault(r["hw"], {})[r["sparsity"]] = r
    pairs = [v for v in by.values() if len(v) == 2]
    assert pairs and all(v["unstructured:0.5"]["effectual_macs"] < v["dense"]["effectual_macs"] for v in pairs)
    proxy = "accuracy_proxy_weight_norm"
    assert all(v["unstructured:0.5"][proxy] < 1.0 == v["dense"][proxy] for v in pairs)


def test_executors_agree(toy_space, tmp_path):
    serial = run_sweep(toy_space, tmp_path / "serial", executor="serial", chunk_size=7, progress=False)
    procs = run_sweep(toy_space, tmp_path / "procs", executor="processes", workers=2, chunk_size=5, progress=False)
    assert rows_of(serial.store_path) == rows_of(procs.store_path)


def test_dask_executor_on_a_local_cluster(toy_space, tmp_path):
    distributed = pytest.importorskip("distributed")
    from cosim.search.executors import DaskExecutor

    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        exe = DaskExecutor(toy_space, client=client)
        res = run_sweep(toy_space, tmp_path / "dask", chunk_size=16, progress=False, executor_obj=exe)
    serial = run_sweep(toy_space, tmp_path / "serial", executor="serial", progress=False)
    assert rows_of(res.store_path) == rows_of(serial.store_path)


def test_random_sampler_is_a_seeded_permutation():
    for size in (1, 2, 7, 96, 1000, 12345):
        p = permute(np.arange(size), size, seed=3)
        assert sorted(p.tolist()) == list(range(size))
    assert np.array_equal(permute(np.arange(500), 500, 1), permute(np.arange(500), 500, 1))
    assert not np.array_equal(permute(np.arange(500), 500, 1), permute(np.arange(500), 500, 2))


def test_random_sweep_draws_distinct_points(toy_space, tmp_path):
    a = run_sweep(toy_space, tmp_path / "a", sampler="random", points=30, seed=5, executor="serial", progress=False)
    ids = sorted(rows_of(a.store_path))
    assert len(ids) == 30 and len(set(ids)) == 30
    samp = RandomSampler(toy_space, 30, seed=5)
    assert sorted(next(samp.batches())) == ids


def test_nsga2_is_deterministic_and_respects_the_budget(toy_space, tmp_path):
    a = run_sweep(toy_space, tmp_path / "a", sampler="nsga2", points=40, seed=2, executor="serial", progress=False)
    b = run_sweep(toy_space, tmp_path / "b", sampler="nsga2", points=40, seed=2, executor="serial", progress=False)
    ra, rb = rows_of(a.store_path), rows_of(b.store_path)
    assert ra == rb and 8 <= len(ra) <= 40


def test_nsga2_population_moves_toward_the_front(toy_space):
    # Objective: the sum of choice indices (a known optimum at index 0 of every dimension).
    samp = NSGA2Sampler(toy_space, n=60, seed=0, population=8)
    firsts, lasts = [], []
    for g, batch in enumerate(samp.batches()):
        scores = []
        rows = []
        for i in batch:
            _, choice = toy_space.locate(i)
            s = float(sum(choice))
            scores.append(s)
            rows.append({"id": i, "status": "ok", "latency_s": s, "energy_j": s})
        (firsts if g == 0 else lasts).append(np.mean(scores))
        samp.tell(rows)
    assert lasts and np.mean(lasts[-2:]) < firsts[0]


def test_ctrl_c_stops_cleanly_and_prints_how_to_resume(tmp_path):
    space_path = write_toy_space(tmp_path)
    code = "import sys, test_search_toy as t; t.install(); from cosim.cli import main; main(sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(TESTS), "TOY_SLEEP_S": "0.1"}  # the sweep takes ~20 s uninterrupted
    # The child gets SIGINT's default action even where this run's own is "ignore" (pytest started in the
    # background, `cmd &` or nohup), or Python would ignore the Ctrl-C and the sweep run to the end.
    proc = subprocess.Popen([sys.executable, "-c", code, "sweep", str(space_path), "--out", str(tmp_path / "o"),
                             "--chunk-size", "2", "--no-progress", "--executor", "serial"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    store = tmp_path / "o" / "sweep.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not store.exists():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "resume with: cosim sweep" in err and "--resume" in err
    assert "Traceback" not in err


def test_cli_sweep_on_real_datapaths_then_pareto_and_plots(tmp_path):
    """A small co-search through the real models: every kind simulated, front and plots written."""
    import yaml
    from click.testing import CliRunner

    from cosim.cli import cli

    space = {"name": "mini", "workloads": ["mlp"], "objectives": ["latency_s", "energy_j"],
             "pruning": {"sparsity": ["dense", "2:4"]},
             "candidates": [{"name": "sys", "base": "scalesim-32x32-ws", "vary": {"pe_array.rows": [16, 32]}},
                            {"name": "stc", "base": "edge-nm", "vary": {"sm_count": [2, 4]}},
                            {"name": "dpu", "base": "zcu104-dpu"}]}
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(space, sort_keys=False))
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["sweep", str(path), "--out", str(out), "--executor", "serial", "--no-progress"])
    assert r.exit_code == 0, r.output
    with ResultStore(out / "sweep.sqlite") as st:
        assert st.status_counts() == {"ok": 10}
        kinds = {row["kind"] for row in st.iter_rows()}
    assert kinds == {"systolic", "sparse_tensor_core", "fpga"}
    assert (out / "front.csv").read_text().count("\n") >= 2 and (out / "pareto.png").stat().st_size > 5000
    r = CliRunner().invoke(cli, ["plot", "breakdown", "--store", str(out), "--point", "0", "--out",
                                 str(tmp_path / "b.png")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["plot", "roofline", "--store", str(out), "--point", "5", "--out",
                                 str(tmp_path / "r.svg")])
    assert r.exit_code == 0, r.output


def test_nsga2_resume_replays_to_the_same_points(toy_space, tmp_path):
    """A resumed evolutionary sweep re-derives its generations from the stored rows: same final set."""
    import sqlite3

    full = run_sweep(toy_space, tmp_path / "full", sampler="nsga2", points=40, seed=3, executor="serial",
                     chunk_size=4, progress=False)
    part = run_sweep(toy_space, tmp_path / "part", sampler="nsga2", points=40, seed=3, executor="serial",
                     chunk_size=4, progress=False)
    ids = sorted(rows_of(part.store_path))
    with sqlite3.connect(part.store_path) as conn:  # lose half of the rows
        conn.execute("DELETE FROM points WHERE id IN (%s)" % ",".join(map(str, ids[len(ids) // 2:])))
    resumed = run_sweep(toy_space, tmp_path / "part", resume=True, executor="serial", chunk_size=4, progress=False)
    assert resumed.options == {"sampler": "nsga2", "points": 40, "seed": 3}
    assert rows_of(resumed.store_path) == rows_of(full.store_path)
