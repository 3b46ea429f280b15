"""Benchmark of design-space sweeps: batch evaluation rate and end-to-end sweep time.

    python scripts/bench_sweep.py                 # evaluations/s + 10,000-point ResNet-50 sweep
    python scripts/bench_sweep.py --big 1000000   # also a 1,000,000-point sweep: time and peak memory

Prints layer×design evaluations per second of the batch evaluator (systolic designs over ResNet-50's
layers), the same for sparse points (ResNet-50 pruned unstructured:0.75 on lane-skipping arrays with
bitmap-compressed weights, against the per-point cosim.simulate rate), the end-to-end time of a
10,000-point ResNet-50 sweep (sampler → processes → SQLite store), and, with --big, the peak
resident memory of the sweep process and its workers, with ratios to the targets (>= 1e6
evaluations/s, <= 30 s for 10,000 points, memory flat in the number of points).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET_EVALS_PER_S = 1e6
TARGET_10K_S = 30.0


def systolic_space(points_wanted: int, base: str = "scalesim-32x32-ws", sparsity: str = "dense") -> dict:
    """A ResNet-50 space over a 32×32 systolic preset with at least ``points_wanted`` points."""
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
    }
    return {"name": f"bench-resnet50-{base}", "workloads": ["resnet50"], "pruning": {"sparsity": [sparsity]},
            "candidates": [{"name": "systolic", "base": base, "vary": vary}], "objectives": ["latency_s", "energy_j"]}


def bench_simulate(space, n_designs: int) -> float:
    """Points/s of ``cosim.simulate`` point by point (every layer): the path a point took before it
    had a batch form."""
    import numpy as np

    from cosim.search.samplers import permute
    from cosim.search.specs import build_spec
    from cosim.search.workload_variants import workload_variant
    from cosim.simulate import simulate

    points = [space.point(int(i)) for i in permute(np.arange(n_designs + 1), space.size, seed=2)]
    specs = [s for s in (build_spec(space.candidates[0], p.hw) for p in points) if not isinstance(s, str)]
    graph = workload_variant(*points[0].pruning_key).graph
    simulate(graph, specs[0])  # warm-up: masks, first calls
    t = time.perf_counter()
    for spec in specs[1:]:
        simulate(graph, spec)
    return (len(specs) - 1) / (time.perf_counter() - t)


def bench_batch(space, n_designs: int, workers: int | None) -> tuple[float, float, int]:
    """Layer x design evaluations/s of the batch evaluator: (one process, all workers), and the layer count.

    Counts every layer of the network (ResNet-50: 174, of which 58 distinct) for every design; the
    designs are a seeded random sample of the space, evaluated after a warm-up.
    """
    import numpy as np

    from cosim.search.evaluate import evaluate_indices
    from cosim.search.executors import ProcessExecutor
    from cosim.search.samplers import permute
    from cosim.search.specs import build_spec
    from cosim.search.workload_variants import workload_variant
    from cosim.simulate import network_walk

    exe = ProcessExecutor(space, workers)
    per_worker = 2 * n_designs // exe.workers
    ids = permute(np.arange(n_designs + 2 * n_designs + 64 * exe.workers), space.size, seed=1).tolist()
    evaluate_indices(space, ids[:64])  # warm-up: workload, first numpy calls, caches
    vkey = space.point(ids[0]).pruning_key
    n_layers = len(workload_variant(*vkey).graph.layers())
    spec = build_spec(space.candidates[0], space.point(ids[0]).hw)
    n_unique = len(network_walk(workload_variant(*vkey).graph, [spec]).sites)
    t = time.perf_counter()
    rows = evaluate_indices(space, ids[:n_designs])
    one = len(rows) * n_layers / (time.perf_counter() - t)
    print(f"one process: {len(rows):,} designs x {n_layers} layers ({n_unique} distinct) -> {one:,.0f} evaluations/s"
          " (random order)")
    start = space.size // 3  # grid order: the innermost fields (clock, bandwidth) vary fastest
    evaluate_indices(space, list(range(start - 64, start)))
    t = time.perf_counter()
    rows = evaluate_indices(space, list(range(start, start + n_designs)))
    grid = len(rows) * n_layers / (time.perf_counter() - t)
    print(f"one process: {len(rows):,} consecutive grid designs -> {grid:,.0f} evaluations/s")
    try:
        warm = ids[n_designs:n_designs + 64 * exe.workers]
        list(exe.imap([warm[i:i + 64] for i in range(0, len(warm), 64)]))  # warm each worker's caches
        rest = ids[n_designs + len(warm):]
        chunks = [rest[i:i + per_worker // 2] for i in range(0, len(rest), per_worker // 2)]
        t = time.perf_counter()
        done = sum(len(r) for r in exe.imap(chunks))
        multi = done * n_layers / (time.perf_counter() - t)
    finally:
        exe.close()
    print(f"{exe.workers} worker processes: {done:,} designs -> {multi:,.0f} evaluations/s")
    return one, multi, n_layers


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident set size (MiB) of this process and of its largest finished child."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def bench_sweep(space, n: int, workers: int | None, chunk: int, folder: Path) -> float:
    from cosim.search.sweep import run_sweep

    sampler = "grid" if n >= space.size else "random"
    res = run_sweep(space, folder, sampler=sampler, points=n, seed=0, executor="processes", workers=workers,
                    chunk_size=chunk, progress=sys.stderr.isatty())
    print(f"sweep: {res.evaluated:,} points in {res.elapsed_s:.1f} s ({res.evaluated / res.elapsed_s:,.0f} points/s), "
          f"statuses {res.status_counts}, store {res.store_path.stat().st_size / 2**20:.1f} MiB")
    return res.elapsed_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000, help="points of the timed sweep")
    ap.add_argument("--batch", type=int, default=4096, help="designs in the evaluation-rate batch")
    ap.add_argument("--big", type=int, default=0, help="also run a sweep of this many points (memory check)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--chunk", type=int, default=2048, help="points per task")
    args = ap.parse_args()

    from cosim.search.space import parse_space

    space = parse_space(systolic_space(max(args.points, args.big)))
    print(f"space: {space.size:,} points; cores: {os.cpu_count()}")
    one, multi, n_layers = bench_batch(space, args.batch, args.workers)
    print(f"evaluations/s (layer x design, every network layer): {multi:,.0f} on all workers "
          f"-> {multi / TARGET_EVALS_PER_S:.2f}x the 1e6/s target ({one:,.0f} in one process)")
    sparse = parse_space(systolic_space(args.batch, "sparse-32x32-unstructured", "unstructured:0.75"))
    print("sparse: ResNet-50 unstructured:0.75 on lane-skipping 32x32 arrays (bitmap weights), same hardware grid")
    s_one, s_multi, _ = bench_batch(sparse, args.batch, args.workers)
    scalar = bench_simulate(sparse, 20)
    print(f"sparse evaluations/s: {s_multi:,.0f} on all workers ({s_one:,.0f} in one process) -> "
          f"{s_multi / TARGET_EVALS_PER_S:.2f}x the 1e6/s target, {s_multi / multi:.2f}x the dense rate; "
          f"{s_one / n_layers:,.0f} points/s in one process vs {scalar:,.1f} points/s through cosim.simulate "
          f"-> {s_one / n_layers / scalar:,.0f}x")
    tmp = Path(tempfile.mkdtemp(prefix="cosim-bench-"))
    try:
        t = bench_sweep(space, args.points, args.workers, args.chunk, tmp / "s10k")
        print(f"{args.points:,}-point ResNet-50 sweep: {t:.1f} s -> {TARGET_10K_S / t:.2f}x faster than the "
              f"{TARGET_10K_S:.0f} s target" if t <= TARGET_10K_S else
              f"{args.points:,}-point ResNet-50 sweep: {t:.1f} s -> {t / TARGET_10K_S:.2f}x SLOWER than the target")
        self_rss, child_rss = peak_rss_mib()
        print(f"peak RSS after the {args.points:,}-point sweep: main {self_rss:.0f} MiB, "
              f"largest worker {child_rss:.0f} MiB")
        if args.big:
            bench_sweep(space, args.big, args.workers, args.chunk, tmp / "big")
            self_rss, child_rss = peak_rss_mib()
            print(f"peak RSS after the {args.big:,}-point sweep: main {self_rss:.0f} MiB, "
                  f"largest worker {child_rss:.0f} MiB (flat = bounded memory)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
