"""Fuzz campaign over every input kind: fresh seeded bad inputs, counted by outcome.

    python scripts/fuzz_inputs.py [--cases 840] [--seed 1] [--timeout 20] [--memory-gib 4]

Cases run in child processes (a chunk each) under resource.setrlimit(RLIMIT_AS) with a per-case
alarm; prints counts of: ok (exit 2, one line, no traceback, nothing left in the output folder),
tracebacks, hangs (past --timeout), memory blow-ups (MemoryError or a child killed), exit-0 nonsense,
and other contract breaks (several lines, wrong exit code, files left behind). Bar: 0 of each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 40


def _child(first: int, count: int, seed: int, timeout: int, memory_gib: float) -> None:
    import random
    import resource
    import signal
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from fuzz_cases import KINDS, case
    from test_fuzz_inputs import _run_in_process

    limit = int(memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    class Hang(Exception):
        pass

    def on_alarm(*_):
        raise Hang()

    signal.signal(signal.SIGALRM, on_alarm)
    for i in range(first, first + count):
        rng = random.Random(seed * 1_000_003 + i)
        kind = KINDS[i % len(KINDS)]
        folder = Path(tempfile.mkdtemp(prefix="cosim-fuzz-"))
        files, argv = case(kind, rng)
        signal.alarm(timeout)
        try:
            code, err = _run_in_process(folder, files, argv)
        except Hang:
            code, err = -1, "HANG"
        finally:
            signal.alarm(0)
        lines = [l for l in err.splitlines() if l.strip()]
        out = folder / "out"
        left = out.exists() and any(out.iterdir())
        if err == "HANG":
            verdict = "hang"
        elif "MemoryError" in err:
            verdict = "memory"
        elif "Traceback" in err or "HANG" in err:
            verdict = "hang" if "Hang" in err else "traceback"
        elif code == 0:
            verdict = "exit0_nonsense"
        elif code != 2 or len(lines) != 1 or left:
            verdict = "contract"
        else:
            verdict = "ok"
        print(json.dumps({"i": i, "kind": kind, "verdict": verdict, "code": code,
                          "line": (lines[-1] if lines else "")[:160]}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=840)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("--memory-gib", type=float, default=4.0)
    ap.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _child(a.child[0], a.child[1], a.seed, a.timeout, a.memory_gib)
        return 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    counts, by_kind, examples = Counter(), Counter(), []
    for first in range(0, a.cases, CHUNK):
        n = min(CHUNK, a.cases - first)
        r = subprocess.run([sys.executable, __file__, "--child", str(first), str(n), "--seed", str(a.seed),
                            "--timeout", str(a.timeout), "--memory-gib", str(a.memory_gib)],
                           capture_output=True, text=True, env=env, timeout=a.timeout * n + 120)
        done = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
        for d in done:
            counts[d["verdict"]] += 1
            by_kind[(d["kind"], d["verdict"])] += 1
            if d["verdict"] != "ok" and len(examples) < 15:
                examples.append(d)
        if len(done) < n:  # the child died (memory limit) part-way
            counts["memory"] += n - len(done)
    total = sum(counts.values())
    print(f"cases {total}: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in
                                          ("ok", "traceback", "hang", "memory", "exit0_nonsense", "contract")))
    for (kind, verdict), n in sorted(by_kind.items()):
        print(f"  {kind:12s} {verdict:15s} {n}")
    for d in examples:
        print("  e.g.", d)
    return 0 if counts["ok"] == total else 1


if __name__ == "__main__":
    sys.exit(main())
