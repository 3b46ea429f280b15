"""One sweep per --out: a second is refused naming the holder; a killed sweep leaves no worker and no
stale lock; an error before any point is stored leaves no store behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cosim.errors import CosimError
from cosim.search.space import load_space
from cosim.search.store_lock import StoreLock
from cosim.search.sweep import run_sweep
from test_search_toy import install, write_toy_space

TESTS = Path(__file__).resolve().parent


def test_a_second_sweep_on_the_same_out_is_refused_naming_the_holder(tmp_path):
    install()
    space = load_space(write_toy_space(tmp_path))
    out = tmp_path / "o"
    out.mkdir()
    with StoreLock(out):
        with pytest.raises(CosimError, match=rf"another sweep is writing .*pid {os.getpid()}"):
            run_sweep(space, out, executor="serial", progress=False)
    assert not (out / "sweep.sqlite").exists()
    run_sweep(space, out, executor="serial", progress=False)  # released: the sweep runs
    with StoreLock(out):  # and the sweep released it in turn
        pass


def test_a_store_link_is_refused_not_followed(tmp_path):
    install()
    space = load_space(write_toy_space(tmp_path))
    out = tmp_path / "o"
    out.mkdir()
    target = tmp_path / "elsewhere.sqlite"
    (out / "sweep.sqlite").symlink_to(target)  # dangling: sqlite would create the target
    with pytest.raises(CosimError, match="symbolic link"):
        run_sweep(space, out, executor="serial", progress=False, resume=True)
    assert not target.exists()


def test_an_error_before_any_point_is_stored_leaves_no_store(tmp_path, monkeypatch):
    install()
    space = load_space(write_toy_space(tmp_path))
    import cosim.search.sweep as sweep

    def broken(*a, **k):
        raise RuntimeError("model failed")

    monkeypatch.setattr(sweep, "_new_chunks", broken)
    with pytest.raises(RuntimeError):
        run_sweep(space, tmp_path / "o", executor="serial", progress=False)
    assert not (tmp_path / "o" / "sweep.sqlite").exists()


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to list processes")
def test_sigkill_leaves_no_worker_behind_and_no_stale_lock(tmp_path):
    space_path = write_toy_space(tmp_path)
    code = "import sys, test_search_toy as t; t.install(); from cosim.cli import main; main(sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(TESTS), "TOY_SLEEP_S": "0.05"}
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-c", code, "sweep", str(space_path), "--out", str(out),
                             "--chunk-size", "2", "--no-progress", "--executor", "processes", "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_children(proc.pid)) < 2:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) >= 2, proc.stderr.read() if proc.poll() is not None else "workers did not start"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and
                                              "Z" not in Path(f"/proc/{w}/stat").read_text().split(")")[1][:3]
                                              for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and "Z" not in Path(f"/proc/{w}/stat").read_text().split(")")[1][:3]]
    assert not alive, f"workers {alive} outlived the killed sweep"
    with StoreLock(out):  # the kernel released the dead sweep's lock
        pass
