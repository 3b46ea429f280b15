"""Benchmark of design-space sweeps, side by side with the baseline implementation (scripts/bench_common.py).

    python scripts/bench_sweep.py                 # rates and the 10,000-point CLI sweep, here and at the baseline
    python scripts/bench_sweep.py --no-baseline   # this checkout only
    python scripts/bench_sweep.py --big 1000000   # also a 1,000,000-point sweep here: time and peak memory

Prints, each measured in a fresh interpreter on this checkout and on the baseline, with the ratio:
* layer×design evaluations/s in one process (``evaluate_indices``, CPU time, best of 5 warm chunks of
  4,096 designs; every network layer counted, ResNet-50: 174): a random sample and consecutive grid
  points of a 1.3 M-point ResNet-50 systolic space, and the same for sparse points (ResNet-50 pruned
  unstructured:0.75 on lane-skipping arrays with bitmap-compressed weights); target ≥ 5e6/s;
* the same random designs with ``scalesim_ifmap: strips`` (the space replays SCALE-Sim's ifmap buffer
  exactly by default): warm rates and the first chunk's CPU time, replay vs strips; target ≥ 1e6/s;
* points/s of tensor-core (H100, BERT-base, dense and 2:4) and FPGA (ZCU102 DPU overlay, ResNet-50)
  sweeps in one process;
* a 10,000-point ResNet-50 sweep from the CLI without plots (``cosim sweep --no-plots``, wall time,
  2 worker processes), and the same CLI on one point: the difference is the sweep beyond start-up
  (target ≤ 1 s);
* random vs grid sampling of the default co-search (``cosim sweep`` in one process, serial, every
  point of the space, so both evaluate the same points: points/s side by side, and their ratio);
* with --big, the peak resident memory of a large sweep here (flat in the number of points).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_EVALS_PER_S = 5e6
TARGET_MAPPER_EVALS_PER_S = 5e5  # issue bar: a ResNet-50 sweep with the mapper on 2 cores
TARGET_10K_BEYOND_STARTUP_S = 1.0
TARGET_REPLAY_EVALS_PER_S = 1e6  # issue bar: the systolic space with the exact SCALE-Sim ifmap replay


def mapper_space(mapper: str) -> dict:
    """The same space in physical timing with the mapper set to ``mapper`` (latency or off)."""
    space = systolic_space()
    space["name"] += f"-mapper-{mapper}"
    space["candidates"][0]["vary"] = {**space["candidates"][0]["vary"], "timing": ["physical"], "mapper": [mapper]}
    return space


def systolic_space(base: str = "scalesim-32x32-ws", sparsity: str = "dense", ifmap: str = "replay") -> dict:
    """A 1,296,000-point ResNet-50 space over a 32×32 systolic preset; SCALE-Sim's ifmap DRAM reads by
    ``ifmap``: the exact replay of its estimate buffer (default) or the closed-form strips."""
    vary = {
        "pe_array.rows": [8, 16, 32, 64, 128, 256],
        "pe_array.cols": [8, 16, 32, 64, 128, 256],
        "pe_array.dataflow": ["os", "ws", "is"],
        "sram.ifmap.size_kib": [64, 128, 256, 512, 1024],
        "sram.filter.size_kib": [64, 128, 256, 512, 1024],
        "sram.ofmap.size_kib": [64, 128, 256, 512],
        "pe_array.mac_bits": [8, 16],
        "dram.bandwidth_gb_per_s": [5, 10, 20, 40, 80, 160],
        "clock_mhz": [400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2200],
        # cosim/hw/spec.py scalesim_ifmap: replay (exact, cosim/datapaths/systolic/scalesim_replay.py) or strips
        "scalesim_ifmap": [ifmap],
    }
    suffix = "" if ifmap == "replay" else f"-{ifmap}"
    return {"name": f"bench-resnet50-{base}{suffix}", "workloads": ["resnet50"], "pruning": {"sparsity": [sparsity]},
            "candidates": [{"name": "systolic", "base": base, "vary": vary}], "objectives": ["latency_s", "energy_j"]}


TENSOR_CORE_SPACE = {
    "name": "bench-h100", "workloads": ["bert-base"], "pruning": {"sparsity": ["dense", "2:4"], "bits": [16]},
    "candidates": [{"name": "gpu", "base": "h100-sxm", "vary": {
        "sm_count": [66, 100, 132], "clock_mhz": [1400, 1600, 1800, 1980], "dram.bandwidth_gb_per_s": [2000, 3350],
        "l2_kib": [25600, 51200]}}],
}
FPGA_SPACE = {
    "name": "bench-dpu", "workloads": ["resnet50"],
    "candidates": [{"name": "dpu", "base": "zcu102-dpu", "vary": {
        "overlay.pixel_parallelism": [2, 4, 8], "overlay.input_channel_parallelism": [8, 12, 16],
        "overlay.output_channel_parallelism": [8, 12, 16], "overlay.cores": [1, 2, 3]}}],
}

# In-process rate: CPU time of evaluate_indices over warm chunks (imports, workload, masks, tables done).
RATE_CODE = """
import json, time
import numpy as np
from cosim.search.evaluate import evaluate_indices
from cosim.search.samplers import permute
from cosim.search.space import parse_space
space = parse_space(json.loads({space!r}))
n, reps = {n}, {reps}
if {grid}:
    start = space.size // 3
    chunks = [list(range(start + k * n, start + (k + 1) * n)) for k in range(reps + 1)]
else:
    ids = permute(np.arange(n * (reps + 1)), space.size, seed=1).tolist()
    chunks = [ids[k * n:(k + 1) * n] for k in range(reps + 1)]
t0 = time.process_time()
rows = evaluate_indices(space, chunks[0])
first = time.process_time() - t0
best = min((lambda t0: (evaluate_indices(space, c), time.process_time() - t0)[1])(time.process_time())
           for c in chunks[1:])
from cosim.search.workload_variants import workload_variant
p = space.point(chunks[0][0])
layers = len(workload_variant(*p.pruning_key).graph.layers())
ok = sum(r["status"] == "ok" for r in rows)
print(json.dumps({{"points_per_s": n / best, "evals_per_s": n * layers / best, "layers": layers, "ok": ok, "n": n,
                  "first_chunk_s": first}}))
"""

# CLI sweep of ``points`` points, wall time (a fresh process: start-up, workers, store, no plots).
CLI_CODE = """
import json, subprocess, sys, tempfile, time, pathlib
space = pathlib.Path(tempfile.mkdtemp()) / "space.yaml"
space.write_text(json.dumps(json.loads({space!r})))
times = {{}}
for label, n in (("one", 1), ("many", {points})):
    out = pathlib.Path(tempfile.mkdtemp()) / "s"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cosim", "sweep", str(space), "--out", str(out), "--sampler", "random",
                    "-n", str(n), "--seed", "0", "--no-plots", "--no-progress", "--workers", "2"],
                   check=True, capture_output=True)
    times[label] = time.perf_counter() - t0
print(json.dumps({{"one_point_s": times["one"], "sweep_s": times["many"]}}))
"""


def rates(name: str, space: dict, n: int, reps: int, grid: bool, use_baseline: bool, label: str,
          key: str = "evals_per_s", unit: str = "evals/s") -> dict:
    from bench_common import ratio_line, side_by_side

    code = RATE_CODE.format(space=json.dumps(space), n=n, reps=reps, grid=grid)
    ours, base, src = side_by_side(name, code, use_baseline)
    print(ratio_line(label, ours[key], base and base[key], unit, True, src))
    return ours


def replay_vs_strips(replay: dict, n: int) -> None:
    """The same random designs with SCALE-Sim's ifmap reads replayed exactly and by the strips (this
    checkout): warm rates and the first chunk, which replays every new layer × array × buffer."""
    strips = rates("evals_random_strips", systolic_space(ifmap="strips"), n, 5, False, False,
                   "  same designs, scalesim_ifmap: strips")
    print(f"  scalesim_ifmap replay vs strips: warm {replay['evals_per_s']:.3g} vs {strips['evals_per_s']:.3g} "
          f"evaluations/s (replay/strips {replay['evals_per_s'] / strips['evals_per_s']:.2f}); first chunk "
          f"{replay['first_chunk_s']:.2f} vs {strips['first_chunk_s']:.2f} s; target {TARGET_REPLAY_EVALS_PER_S:.0e} "
          f"with replay -> {'met' if replay['evals_per_s'] >= TARGET_REPLAY_EVALS_PER_S else 'MISSED'}")


def peak_rss_mib() -> tuple[float, float]:
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def big_sweep(points: int) -> None:
    from cosim.search.space import parse_space
    from cosim.search.sweep import run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="cosim-bench-"))
    try:
        t0 = time.perf_counter()
        res = run_sweep(parse_space(systolic_space()), tmp / "big", sampler="random", points=points, seed=0,
                        executor="processes", progress=False)
        dt = time.perf_counter() - t0
        main_rss, child_rss = peak_rss_mib()
        print(f"{res.evaluated:,}-point sweep here: {dt:.1f} s ({res.evaluated / dt:,.0f} points/s); peak RSS main "
              f"{main_rss:.0f} MiB, largest worker {child_rss:.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sampler_rates() -> None:
    """Random and grid sampling of every point of the shipped default co-search, each in a fresh process
    (cold caches for both), side by side."""
    from cosim.search.space import default_space_path, load_space

    points = load_space(default_space_path()).size  # the same points in both orders
    tmp = Path(tempfile.mkdtemp(prefix="cosim-bench-"))
    try:
        rate = {}
        for sampler in ("grid", "random"):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cosim", "sweep", "--out", str(tmp / sampler), "--sampler", sampler,
                            "-n", str(points), "--seed", "0", "--executor", "serial", "--no-plots", "--no-progress"],
                           check=True, capture_output=True)
            rate[sampler] = points / (time.perf_counter() - t0)
        print(f"default co-search, all {points:,} points, serial, fresh process each: grid {rate['grid']:,.0f} "
              f"points/s, random {rate['random']:,.0f} points/s (random/grid {rate['random'] / rate['grid']:.2f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000, help="points of the timed CLI sweep")
    ap.add_argument("--batch", type=int, default=4096, help="designs per timed chunk of the in-process rate")
    ap.add_argument("--big", type=int, default=0, help="also run a sweep of this many points here (memory check)")
    ap.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    args = ap.parse_args()
    use_base = not args.no_baseline
    from bench_common import ratio_line, side_by_side

    print("in one process (CPU time, warm):")
    dense = rates("evals_random", systolic_space(), args.batch, 5, False, use_base, "systolic, random designs")
    rates("evals_grid", systolic_space(), args.batch, 5, True, use_base, "systolic, consecutive grid designs")
    rates("evals_sparse", systolic_space("sparse-32x32-unstructured", "unstructured:0.75"), args.batch, 3, False,
          use_base, "sparse systolic (lane skipping), random")
    print(f"  target {TARGET_EVALS_PER_S:.0e} evaluations/s -> "
          f"{'met' if dense['evals_per_s'] >= TARGET_EVALS_PER_S else 'MISSED'} ({dense['evals_per_s']:.3g})")
    replay_vs_strips(dense, args.batch)
    print("physical timing, random designs, mapper on vs off (this checkout only: the baseline has no mapper):")
    off = rates("evals_mapper_off", mapper_space("off"), args.batch, 3, False, False, "  mapper: off")
    on = rates("evals_mapper_latency", mapper_space("latency"), args.batch, 3, False, False, "  mapper: latency")
    print(f"  mapper on / off {on['evals_per_s'] / off['evals_per_s']:.2f}; target {TARGET_MAPPER_EVALS_PER_S:.0e} "
          f"evaluations/s with the mapper -> {'met' if on['evals_per_s'] >= TARGET_MAPPER_EVALS_PER_S else 'MISSED'}")
    rates("points_tensor_core", TENSOR_CORE_SPACE, 48, 2, False, use_base, "tensor core (H100, BERT-base)",
          key="points_per_s", unit="points/s")
    rates("points_fpga", FPGA_SPACE, 27, 2, False, use_base, "FPGA overlay (ZCU102 DPU, ResNet-50)",
          key="points_per_s", unit="points/s")
    print(f"CLI sweep of {args.points:,} ResNet-50 points, no plots, 2 workers (wall time):")
    ours, base, src = side_by_side("cli_sweep", CLI_CODE.format(space=json.dumps(systolic_space()),
                                                                points=args.points), use_base)
    beyond = ours["sweep_s"] - ours["one_point_s"]
    print(ratio_line("whole command", ours["sweep_s"], base and base["sweep_s"], "s", False, src))
    print(ratio_line("beyond a 1-point run (start-up)", beyond,
                     base and base["sweep_s"] - base["one_point_s"], "s", False, src))
    print(f"  start-up (1-point run) {ours['one_point_s']:.2f} s; target {TARGET_10K_BEYOND_STARTUP_S:.0f} s beyond "
          f"start-up -> {'met' if beyond <= TARGET_10K_BEYOND_STARTUP_S else 'MISSED'}")
    sampler_rates()
    if args.big:
        big_sweep(args.big)
    return 0


if __name__ == "__main__":
    sys.exit(main())
