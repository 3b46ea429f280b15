"""Hostile and careless inputs of every kind: exit 2, one line on stderr, no traceback, nothing left
behind in the output folder (hypothesis picks the mutations; see tests/fuzz_cases.py)."""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_cases import KINDS, case  # noqa: E402

from cosim.cli import main  # noqa: E402


def _run_in_process(folder: Path, files: dict[str, bytes], argv: list[str]) -> tuple[int, str]:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    argv = [str(folder / a) if a in files else a.replace("OUT", str(folder / "out")) for a in argv]
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            main(argv)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # a traceback: report it as such
            import traceback
            err.write("Traceback (most recent call last):\n" + "".join(traceback.format_exception(e)))
            code = 1
    return code, err.getvalue()


def _check(folder: Path, code: int, err: str) -> None:
    lines = [l for l in err.splitlines() if l.strip()]
    assert "Traceback" not in err, err[-2000:]
    assert code == 2, (code, err[-500:])
    assert len(lines) == 1 and lines[0].startswith("error: "), err[-500:]
    assert len(lines[0]) < 600
    out = folder / "out"
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


@settings(max_examples=160, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_bad_input_gives_one_line_exit_2(tmp_path_factory, kind, seed):
    folder = tmp_path_factory.mktemp("fuzz")
    files, argv = case(kind, random.Random(seed))
    code, err = _run_in_process(folder, files, argv)
    _check(folder, code, err)


@pytest.mark.parametrize("kind", ["accelerator", "npz", "flags"])
def test_bad_input_in_a_real_process(tmp_path, kind):
    files, argv = case(kind, random.Random(7))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    argv = [str(tmp_path / a) if a in files else a.replace("OUT", str(tmp_path / "out")) for a in argv]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run([sys.executable, "-m", "cosim", *argv], capture_output=True, text=True, timeout=120,
                       env=env, cwd=tmp_path)
    _check(tmp_path, r.returncode, r.stderr)
