"""Shared by the benchmarks: the same measurement run on this checkout and on a baseline implementation,
side by side in one run, so every speed claim is a ratio measured on one machine at one time.

The baseline is a commit of this repository (``BASELINE_REV``: the last implementation before the
batch-first datapaths), checked out into a temporary folder with ``git worktree`` and run in a
subprocess with that folder first on ``PYTHONPATH`` (same interpreter, same installed dependencies).
Where git or the commit is not available (an sdist), the numbers stored in bench_baseline.json —
measured on the machine it names, with the command it names — are printed instead, marked as stored.

A measurement is Python code (a string) that prints one JSON object as its last line; it must use only
APIs both implementations have (``cosim.simulate``, ``cosim.search.evaluate.evaluate_indices``, the CLI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REV = "49841dc"
STORED = Path(__file__).with_name("bench_baseline.json")


def baseline_tree(rev: str = BASELINE_REV) -> Path | None:
    """A checkout of ``rev`` (created once per machine under the temp folder), or None."""
    target = Path(tempfile.gettempdir()) / f"cosim-baseline-{rev}"
    if (target / "cosim" / "__init__.py").is_file():
        return target
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(target), rev],
                       check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return target if (target / "cosim" / "__init__.py").is_file() else None


def run_measurement(code: str, tree: Path | None = None, timeout: float = 1800) -> dict:
    """Run ``code`` in a fresh interpreter with ``tree`` (default: this checkout) first on the path."""
    env = dict(os.environ)
    where = str(tree or ROOT)
    env["PYTHONPATH"] = where + os.pathsep + str(ROOT / "scripts") + (os.pathsep + env["PYTHONPATH"]
                                                                      if env.get("PYTHONPATH") else "")
    out = subprocess.run([sys.executable, "-c", code], cwd=where, env=env, capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"measurement failed in {where}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def side_by_side(name: str, code: str, use_baseline: bool = True) -> tuple[dict, dict | None, str]:
    """(this checkout's numbers, the baseline's, where the baseline's came from)."""
    ours = run_measurement(code)
    if not use_baseline:
        return ours, None, "not run"
    tree = baseline_tree()
    if tree is not None:
        try:
            return ours, run_measurement(code, tree), f"measured now at {BASELINE_REV}"
        except RuntimeError as e:
            print(f"  (baseline run failed: {str(e).splitlines()[-1]})")
    stored = json.loads(STORED.read_text()) if STORED.is_file() else {}
    if name in stored.get("measurements", {}):
        return ours, stored["measurements"][name], f"stored ({stored.get('machine', '?')}, {stored.get('date', '?')})"
    return ours, None, "unavailable"


def ratio_line(label: str, ours: float, base: float | None, unit: str, higher_is_better: bool, source: str) -> str:
    if base is None:
        return f"  {label:<44} {ours:12.4g} {unit:<14} baseline {source}"
    ratio = ours / base if higher_is_better else base / ours
    return (f"  {label:<44} {ours:12.4g} {unit:<14} baseline {base:12.4g} {unit:<14} "
            f"-> {ratio:6.2f}x {'faster' if ratio >= 1 else 'slower'} ({source})")
