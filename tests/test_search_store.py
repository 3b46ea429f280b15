"""Result store: one row per point, chunk transactions, resume after SIGKILL, CSV/Parquet export."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cosim.errors import CosimError
from cosim.metrics import COLUMNS
from cosim.search.space import load_space
from cosim.search.store import ResultStore
from cosim.search.sweep import run_sweep
from test_search_toy import install, write_toy_space

TESTS = Path(__file__).resolve().parent


def _row(i: int, **kw) -> dict:
    row = {c: None for c in COLUMNS}
    row.update(id=i, candidate="toy", kind="toy", workload="mlp", sparsity="dense", allocation="uniform", bits=8,
               hw="{}", status="ok", reason="", latency_s=1.0 + i, energy_j=2.0, accuracy=float("nan"))
    row.update(kw)
    return row


def test_rows_are_kept_once_and_nan_reads_back(tmp_path):
    with ResultStore(tmp_path / "s.sqlite", create=True) as st:
        assert st.write_rows([_row(0), _row(1)]) == 2
        assert st.write_rows([_row(1, latency_s=99.0), _row(2)]) == 1  # id 1 is already stored
        assert st.count() == 3
        assert st.existing_ids([0, 2, 5]) == {0, 2}
        rows = st.rows_by_id([1])
        assert rows[1]["latency_s"] == 2.0  # the first write wins
        assert rows[1]["accuracy"] != rows[1]["accuracy"]  # NaN
        assert rows[1]["cosim_version"]


def test_open_missing_or_foreign_file_is_an_error(tmp_path):
    with pytest.raises(CosimError, match="does not exist"):
        ResultStore(tmp_path / "none.sqlite")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(CosimError, match="not a cosim sweep store"):
        ResultStore(other)


def test_export_csv_and_parquet(tmp_path):
    with ResultStore(tmp_path / "s.sqlite", create=True) as st:
        st.write_rows([_row(i) for i in range(5)] + [_row(5, status="infeasible", reason="spec: too big")])
        assert st.export_csv(tmp_path / "all.csv") == 6
        assert st.export_csv(tmp_path / "ok.csv", status="ok") == 5
        with open(tmp_path / "all.csv") as f:
            rows = list(csv.DictReader(f))
        assert rows[5]["status"] == "infeasible" and rows[5]["reason"] == "spec: too big"
        pq = pytest.importorskip("pyarrow.parquet")
        assert st.export_parquet(tmp_path / "all.parquet") == 6
        t = pq.read_table(tmp_path / "all.parquet")
        assert t.num_rows == 6 and t.column("latency_s").to_pylist()[2] == 3.0


def _reference_rows(space, tmp_path):
    res = run_sweep(space, tmp_path / "ref", sampler="grid", executor="serial", progress=False)
    with ResultStore(res.store_path) as st:
        return {r["id"]: r for r in st.iter_rows()}


def test_sigkill_mid_sweep_then_resume_stores_each_point_once(tmp_path):
    """Killed five times (SIGKILL to the sweep and its workers), resumed each time: every point stored
    exactly once and every row equal to an uninterrupted run's."""
    install()
    space_path = write_toy_space(tmp_path)
    out = tmp_path / "out"
    code = ("import sys, test_search_toy as t; t.install(); from cosim.cli import main; "
            "main(sys.argv[1:])")
    args = [sys.executable, "-c", code, "sweep", str(space_path), "--out", str(out), "--chunk-size", "3",
            "--no-progress", "--no-plots", "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(TESTS), "TOY_SLEEP_S": "0.01"}
    store_file = out / "sweep.sqlite"
    space = load_space(space_path)
    stored = 0
    for kill in range(5):
        proc = subprocess.Popen(args + (["--resume"] if kill else []), env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline, before = time.monotonic() + 60, stored
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
                if store_file.exists():
                    try:
                        with ResultStore(store_file) as st:
                            stored = st.count()
                    except (CosimError, sqlite3.Error):
                        continue
                    if stored >= before + 3:
                        break
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, at once
            proc.wait()
        assert 0 < stored < space.size, f"kill {kill + 1}: the sweep was not caught mid-run ({stored} of {space.size})"

    env.pop("TOY_SLEEP_S")
    r = subprocess.run(args + ["--resume"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with ResultStore(store_file) as st:
        ids = [row["id"] for row in st.iter_rows()]
        resumed = {row["id"]: row for row in st.iter_rows()}
    assert sorted(ids) == list(range(space.size))  # every point, each exactly once
    reference = _reference_rows(space, tmp_path)
    strip = lambda row: {k: v for k, v in row.items() if k != "cosim_version"}  # noqa: E731
    diff = [(strip(resumed[i]), strip(reference[i])) for i in reference if strip(resumed[i]) != strip(reference[i])]
    assert not diff, diff[:1]


def test_resume_refuses_another_space(tmp_path):
    install()
    space = load_space(write_toy_space(tmp_path))
    run_sweep(space, tmp_path / "o", executor="serial", progress=False)
    with pytest.raises(CosimError, match="already holds a sweep|exists; pass --resume"):
        run_sweep(space, tmp_path / "o", executor="serial", progress=False)
    other = load_space(write_toy_space(tmp_path, workloads=["small_cnn"]))
    with pytest.raises(CosimError, match="another design space"):
        run_sweep(other, tmp_path / "o", executor="serial", progress=False, resume=True)


def test_a_full_disk_is_one_line_and_keeps_what_was_stored(tmp_path):
    """SQLite's 'database or disk is full' mid-sweep: the failed chunk rolls back, earlier chunks stay."""
    with ResultStore(tmp_path / "s.sqlite", create=True) as st:
        row = {c: None for c in COLUMNS}
        st.write_rows([{**row, "id": 0, "status": "ok"}])
        real = st.conn

        class Full:
            def __getattr__(self, name):
                return getattr(real, name)

            def executemany(self, *a):
                raise sqlite3.OperationalError("database or disk is full")

        st.conn = Full()
        with pytest.raises(CosimError, match="free disk space, then rerun with --resume"):
            st.write_rows([{**row, "id": 1, "status": "ok"}])
        st.conn = real
        assert st.count() == 1
