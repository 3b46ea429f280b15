"""Speed of one simulation: ResNet-50 through cosim.simulate, and ``cosim --version``, side by side with
the baseline implementation (scripts/bench_common.py); the systolic model's raw batch rate; SCALE-Sim
on the same layers where its venv exists.

    python scripts/bench_simulate.py [--repeat 15] [--no-baseline] [--scalesim-python /tmp/ss/bin/python]

Prints, warm (imports done, caches filled), best of --repeat, CPU time of the process:
* ResNet-50 (cosim's zoo) on the scalesim-32x32-ws preset through the whole simulate chain (datapath,
  energy, report), here and at the baseline, the ratio, and the 5 ms target;
* the start-up of ``cosim --version`` (wall time, best of 5), here and at the baseline, against 0.2 s;
* the systolic model alone over ResNet-50's compute layers × random designs (layer×design points/s);
* when SCALE-Sim's venv exists, SCALE-Sim 3.0.0 and cosim on the same three small ResNet-50 layers
  (32×32 ws, CALC mode), and the ratio. SCALE-Sim's time includes its interpreter start-up (~1 s),
  measured by running it on an empty-cost layer first and reported separately.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

TARGET_RESNET_S = 0.005
TARGET_VERSION_S = 0.2

RESNET_CODE = """
import json, time
import cosim
g = cosim.load_workload("resnet50"); s = cosim.load_accelerator("scalesim-32x32-ws")
cosim.simulate(g, s)
best = min((lambda t0: (cosim.simulate(g, s), time.process_time() - t0)[1])(time.process_time())
           for _ in range({repeat}))
print(json.dumps({{"resnet50_s": best, "layers": len(g.layers())}}))
"""

VERSION_CODE = """
import json, subprocess, sys, time
times = []
for _ in range(5):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cosim", "--version"], check=True, capture_output=True)
    times.append(time.perf_counter() - t0)
print(json.dumps({"version_s": min(times)}))
"""


def best_of(fn, repeat: int) -> float:
    fn()  # warm: imports, caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def resnet50():
    import cosim

    try:
        return cosim.load_workload("resnet50"), "cosim zoo"
    except Exception as e:  # the zoo is optional here; SCALE-Sim's topology stands in
        import validate_scalesim as vs
        from cosim.graph import LayerGraph

        g = LayerGraph("resnet50")
        for l in vs.scalesim_layers(vs.DATA / "topologies" / "resnet50_v3clean.csv", gemm=False):
            g.add(l)
        return g, f"SCALE-Sim topology ({type(e).__name__} from the zoo)"


def bench_resnet(repeat: int, use_baseline: bool) -> None:
    from bench_common import ratio_line, side_by_side

    ours, base, src = side_by_side("simulate_resnet50", RESNET_CODE.format(repeat=repeat), use_baseline)
    print(f"ResNet-50 ({ours['layers']} layers) on scalesim-32x32-ws through cosim.simulate (warm, CPU time):")
    print(ratio_line("cosim.simulate", 1e3 * ours["resnet50_s"], base and 1e3 * base["resnet50_s"], "ms", False, src))
    print(f"  target {1e3 * TARGET_RESNET_S:.0f} ms -> {'met' if ours['resnet50_s'] <= TARGET_RESNET_S else 'MISSED'}")
    ours, base, src = side_by_side("cosim_version", VERSION_CODE, use_baseline)
    print(ratio_line("cosim --version (start-up, wall)", ours["version_s"], base and base["version_s"], "s", False, src))
    print(f"  target {TARGET_VERSION_S:.1f} s -> {'met' if ours['version_s'] <= TARGET_VERSION_S else 'MISSED'}")


def bench_batch(repeat: int, n_designs: int = 20000) -> None:
    from cosim.datapaths.systolic.model import evaluate_batch
    from cosim.datapaths.systolic.tiling import layer_arrays

    graph, _ = resnet50()
    L = layer_arrays(graph.compute_layers())
    rng = np.random.default_rng(0)
    n = n_designs
    D = {"rows": rng.choice([8, 16, 32, 64, 128, 256], n), "cols": rng.choice([8, 16, 32, 64, 128, 256], n),
         "dataflow": rng.integers(0, 3, n), "timing": rng.integers(0, 2, n),
         "ifmap_bytes": rng.choice([16, 64, 256, 1024], n) * 1024, "filter_bytes": rng.choice([16, 64, 256], n) * 1024,
         "ofmap_bytes": rng.choice([16, 64, 256], n) * 1024, "ifmap_word_bytes": np.ones(n, int),
         "filter_word_bytes": np.ones(n, int), "ofmap_word_bytes": np.ones(n, int), "double_buffered": np.ones(n, int),
         "dram_bytes_per_cycle": rng.uniform(1, 100, n), "ifmap_peak_bytes_per_cycle": np.full(n, np.inf),
         "filter_peak_bytes_per_cycle": np.full(n, np.inf), "ofmap_peak_bytes_per_cycle": np.full(n, np.inf),
         "register_bytes_per_pe": np.full(n, 4.0), "mapper": np.full(n, -1),  # -1: mapper off (fixed tiling)
         "dram_pj_per_byte": np.full(n, 64.0), "sram_pj_per_byte": np.full(n, 2.5),
         "scalesim_ifmap": np.zeros(n, int)}  # SCALE-Sim timing's closed-form strips (no replay tables)
    points = len(L["M"]) * n
    t = best_of(lambda: evaluate_batch(L, D), max(1, repeat // 3))
    rate = points / t
    print(f"systolic model alone: {points:,} layer×design points in {t:.3f} s = {rate / 1e6:.2f} M points/s "
          "(mapper off, SCALE-Sim ifmap strips)")
    D["mapper"] = np.zeros(n, int)  # the latency objective wherever timing is physical
    t = best_of(lambda: evaluate_batch(L, D), max(1, repeat // 3))
    print(f"  with the mapper on the physical-timing half: {points / t / 1e6:.2f} M points/s")


def bench_scalesim(python: str, repeat: int) -> None:
    import validate_scalesim as vs
    from cosim.simulate import simulate_layer

    if not Path(python).exists():
        print(f"SCALE-Sim not found at '{python}' (install: python3 -m venv /tmp/ss && /tmp/ss/bin/pip install "
              "scalesim numpy==2.3.5); skipping the side-by-side comparison")
        return
    topo = vs.DATA / "topologies" / "resnet50_v3clean.csv"
    lines = topo.read_text().splitlines()
    picks = ["CB2a_1", "CB3a_1", "CB4a_1"]  # three of ResNet-50's cheapest layers for SCALE-Sim (32×32 ws)
    rows = [l for l in lines[1:] if l.split(",")[0].strip() in picks]
    case = {"name": "bench_r50_small_ws", "rows": 32, "cols": 32, "dataflow": "ws", "sram_kib": [64, 64, 64],
            "mode": "CALC", "bandwidth_words_per_cycle": 10, "gemm": False}
    empty = {**case, "name": "bench_startup"}
    with tempfile.TemporaryDirectory(prefix="bench_ss_") as tmp:
        tmp = Path(tmp)
        (tmp / "topologies").mkdir()
        (tmp / "topologies" / "small.csv").write_text(lines[0] + "\n" + "\n".join(rows) + "\n")
        (tmp / "topologies" / "startup.csv").write_text(lines[0] + "\nS, 4, 4, 1, 1, 1, 1, 1,\n")
        data, vs.DATA = vs.DATA, tmp  # run_case reads topologies from DATA/topologies
        try:
            startup = vs.run_case({**empty, "topology": "startup.csv"}, python, tmp / "out0")
            ss = vs.run_case({**case, "topology": "small.csv"}, python, tmp / "out1")
        finally:
            vs.DATA = data
        spec = vs.case_spec(case)
        layers = vs.scalesim_layers(tmp / "topologies" / "small.csv", gemm=False)
        ours = best_of(lambda: [simulate_layer(l, spec) for l in layers], repeat)
    net = max(ss - startup, 1e-9)
    print(f"SCALE-Sim 3.0.0 vs cosim on {', '.join(picks)} (32x32 ws, CALC):")
    print(f"  SCALE-Sim {ss:8.2f} s (start-up {startup:.2f} s, net {net:.2f} s)   cosim {1e3 * ours:.3f} ms   "
          f"speed-up {net / ours:,.0f}x (net)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--scalesim-python", default="/tmp/ss/bin/python")
    ap.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    args = ap.parse_args(argv)
    bench_resnet(args.repeat, not args.no_baseline)
    bench_batch(args.repeat)
    bench_scalesim(args.scalesim_python, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
