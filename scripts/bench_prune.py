"""Accuracy evidence for the pruning engine on the embedded UCI digits and MNIST (real test accuracy).

    python scripts/bench_prune.py                 # everything (a few minutes on 2 cores)
    python scripts/bench_prune.py --section hw    # only hardware-aware vs uniform (hw-fpga, hw-systolic,
                                                  # hw-gpu: one accelerator; ~3 min per FPGA level)

Sections:
  dense     dense MLP / CNN test accuracy and training time
  patterns  CNN: patterns × schedules, with PR / CR / CE / EE
  criteria  CNN: unstructured 80 % one-shot, no fine-tuning, per criterion (random is the control)
  quant     CNN: int8 / int4 (PTQ and QAT) and k-means weight sharing on a 50 % pruned CNN
  hw        hardware-aware allocation vs uniform sparsity at the same simulated latency / energy,
            mean over seeds (each seed trains its own dense model)
  mnist     the MNIST bars: mnist-cnn dense, 2:4 + fine-tuning, 90 % unstructured with the polynomial
            schedule (per layer with conv1 and fc2 dense: the bar; every layer at 90 %; global), mnist-mlp dense
  distill   mnist-cnn at 95 % unstructured (poly): fine-tuning with and without knowledge distillation,
            3 seeds (each seed trains its own dense teacher), (T, alpha) chosen on the validation split,
            the gain on test paired per seed, mean ± s.d.

Every accuracy printed is measured on held-out test images (359 digits, 1,000 MNIST); nothing is a
proxy here.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cosim.hw.loader import load_accelerator
from cosim.simulate import network_cost
from cosim.prune.patterns import parse_pattern
from cosim.prune.quantize import parse_quant
from cosim.prune.schedules import Schedule
from cosim.prune.workflow import hardware_aware_allocation, prune_workload


def row(label, run, secs):
    m = run.metrics
    print(f"  {label:<44} {100 * run.accuracy_before:6.2f} -> {100 * run.accuracy_after:6.2f}  "
          f"PR {m.PR:5.3f}  CR {m.CR:6.2f}  CE {m.CE:6.2f}  EE {m.EE:6.2f}  ({secs:4.1f} s)")


def timed(*a, **k):
    t = time.perf_counter()
    r = prune_workload(*a, **k)
    return r, time.perf_counter() - t


def dense():
    print("dense models (test accuracy, training time incl. first numba compile)")
    for wl in ("digits-mlp", "digits-cnn"):
        r, s = timed(wl, "dense")
        print(f"  {wl:<12} {100 * r.accuracy_after:6.2f} %   {s:5.1f} s")


def patterns():
    print("digits-cnn: pattern x schedule (accuracy before -> after, %)")
    cases = [
        ("2:4 one-shot, no fine-tune", "2:4", Schedule("one-shot"), {}),
        ("2:4 one-shot + 5 epochs", "2:4", Schedule("one-shot", finetune_epochs=5), {}),
        ("1:4 one-shot + 5 epochs", "1:4", Schedule("one-shot", finetune_epochs=5), {}),
        ("unstructured 50% + 3 epochs", "unstructured:0.5", Schedule("one-shot", finetune_epochs=3), {}),
        ("unstructured 90% one-shot, no fine-tune", "unstructured:0.9", Schedule("one-shot"), {}),
        ("unstructured 90% one-shot + 10 epochs", "unstructured:0.9", Schedule("one-shot", finetune_epochs=10), {}),
        ("unstructured 90% iterative 5x2 epochs", "unstructured:0.9", Schedule("iterative", 5, 2), {}),
        ("unstructured 90% poly 5x2 epochs", "unstructured:0.9", Schedule("poly", 5, 2), {}),
        ("unstructured 90% poly 5x2, global", "unstructured:0.9", Schedule("poly", 5, 2), {"scope": "global"}),
        ("unstructured 95% adaptive (tol 1 pt)", "unstructured:0.95", Schedule("adaptive", 8, 2, tolerance=0.01), {}),
        ("block 4x4 75% + 5 (conv1, fc2 dense)", "block:4x4:0.75", Schedule("one-shot", finetune_epochs=5),
         {"skip": ("conv1", "fc2")}),
        ("channel 25% + 5 epochs", "channel:0.25", Schedule("one-shot", finetune_epochs=5), {}),
        ("channel 50% + 5 epochs", "channel:0.5", Schedule("one-shot", finetune_epochs=5), {}),
    ]
    for label, pat, sch, kw in cases:
        r, s = timed("digits-cnn", pat, schedule=sch, **kw)
        row(label, r, s)


def criteria():
    print("digits-cnn: unstructured 80% one-shot, no fine-tuning, by criterion")
    for c in ("magnitude", "l2", "taylor", "activation", "random"):
        r, s = timed("digits-cnn", "unstructured:0.8", criterion=c)
        row(c, r, s)


def quant():
    print("digits-cnn: unstructured 50% + 3 epochs, then quantization / weight sharing")
    sch = Schedule("one-shot", finetune_epochs=3)
    for label, kw in (("float32", {}), ("int8 per-channel sym (PTQ)", {"quant": parse_quant("int8")}),
                      ("int8 per-tensor asym (PTQ)", {"quant": parse_quant("int8-asym-tensor")}),
                      ("int4 per-channel (PTQ, W4A4)", {"quant": parse_quant("int4")}),
                      ("int4 W4A8 (PTQ)", {"quant": parse_quant("int4"), "act_bits": 8}),
                      ("int4 W4A4 + 3 epochs QAT", {"quant": parse_quant("int4"), "qat_epochs": 3}),
                      ("k-means sharing, 16 values", {"share_bits": 4}),
                      ("k-means sharing, 4 values", {"share_bits": 2})):
        r, s = timed("digits-cnn", "unstructured:0.5", schedule=sch, **kw)
        row(label, r, s)


HW_SETUPS = {  # accelerator, pattern kind, most any layer is pruned, budget metric, uniform levels
    "fpga": ("zcu104-finn-sparse", "unstructured", 0.98, "energy_pj", (0.5, 0.75, 0.9)),
    "systolic": ("scalesim-32x32-ws", "channel", 0.9375, "latency_s", (0.5, 0.625)),
    "gpu": ("h100-sxm", "nm", None, "latency_s", ("2:4",)),
}


def hw(which=tuple(HW_SETUPS), seeds=(0, 1, 2)):
    print("hardware-aware allocation vs uniform sparsity at the same simulated cost (int8 model, 5 fine-tuning\n"
          "epochs for both; the budget is the uniform model's own simulated cost; test accuracy %, mean over seeds)")
    sch = Schedule("one-shot", finetune_epochs=5)
    q = parse_quant("int8")
    for acc, kind, top, metric, levels in (HW_SETUPS[w] for w in which):
        spec = load_accelerator(acc)
        print(f"  {acc} / {kind} / {metric}")
        for s_u in levels:
            acc_u, acc_a, cost_u, cost_a, t0 = [], [], [], [], time.perf_counter()
            for seed in seeds:
                pat = parse_pattern(s_u if kind == "nm" else f"{kind}:{s_u}")
                uni = prune_workload("digits-cnn", pat, schedule=sch, quant=q, seed=seed)
                cost = network_cost(spec, metric)
                budget = cost(uni.graph)
                most = pat if kind == "nm" else parse_pattern(f"{kind}:{top}")
                alloc = hardware_aware_allocation("digits-cnn", most, spec, budget, metric=metric, quant=q,
                                                  seed=seed, sensitivity_epochs=1)
                hwr = prune_workload("digits-cnn", most, schedule=sch, quant=q, seed=seed,
                                     layer_sparsity=alloc.layer_sparsity)
                acc_u.append(uni.accuracy_after)
                acc_a.append(hwr.accuracy_after)
                cost_u.append(budget)
                cost_a.append(cost(hwr.graph))
            unit, scale = ("us", 1e6) if metric == "latency_s" else ("nJ", 1e-3)
            print(f"    uniform {s_u}: {100 * statistics.mean(acc_u):6.2f} % at {scale * statistics.mean(cost_u):8.2f} "
                  f"{unit} | hardware-aware: {100 * statistics.mean(acc_a):6.2f} % at "
                  f"{scale * statistics.mean(cost_a):8.2f} {unit} | per seed {[round(100 * a, 1) for a in acc_u]} "
                  f"vs {[round(100 * a, 1) for a in acc_a]} ({time.perf_counter() - t0:.0f} s)")
            print("      allocation (last seed): " + ", ".join(f"{n} {v:.3f}" for n, v in alloc.layer_sparsity.items()))


MNIST_BARS = (  # label, pattern, schedule, options, largest drop allowed (points; the bars)
    ("2:4 one-shot + 3 epochs", "2:4", Schedule("one-shot", finetune_epochs=3), {}, 0.5),
)
POLY_SCHEDULE = Schedule("poly", 5, 3)
POLY_BAR = 1.5  # points: 90 % unstructured, polynomial schedule (Zhu & Gupta 2017)


def poly90_variants() -> tuple[tuple[str, dict], ...]:
    """90 % of mnist-cnn's weights pruned on the polynomial schedule, three ways. Zhu & Gupta prune every
    layer to the same sparsity; the usual practice keeps the first convolution (288 weights, 0.3 % of
    the network, sees every pixel) and the classifier (640 weights) denser (Evci et al. 2020 keep the
    first layer dense; Frankle & Carbin 2019 prune the output layer at half the others' rate); global
    magnitude pruning finds such an allocation by itself (on seed 0: conv1 19 %, fc2 44 %)."""
    from cosim.prune import digits
    from cosim.prune.allocation import uniform_except

    sizes = {l.name: l.w.size for l in digits.build("mnist-cnn").weighted()}
    return (("per layer, every layer 90%", {}),
            ("conv1+fc2 dense (bar)", {"layer_sparsity": uniform_except(sizes, 0.9, ("conv1", "fc2"))}),
            ("global magnitude", {"scope": "global"}))


def mnist():
    print("MNIST (5,000 embedded images: 3,500 train / 500 val / 1,000 test)")
    for wl in ("mnist-mlp", "mnist-cnn"):
        r, s = timed(wl, "dense")
        print(f"  {wl:<12} dense {100 * r.accuracy_after:6.2f} %   {s:5.1f} s (training, or the cached weights)")
    bars = [(label, pat, sch, kw, bar, (0,)) for label, pat, sch, kw, bar in MNIST_BARS]
    bars += [(f"90% poly 5x3, {label}", "unstructured:0.9", POLY_SCHEDULE, kw, POLY_BAR,
              (0, 1, 2) if "(bar)" in label else (0,)) for label, kw in poly90_variants()]
    for label, pat, sch, kw, bar, seeds in bars:
        drops = []
        for seed in seeds:
            r, s = timed("mnist-cnn", pat, schedule=sch, seed=seed, **kw)
            drops.append(100 * (r.accuracy_before - r.accuracy_after))
            row(label if len(seeds) == 1 else f"{label}, seed {seed}", r, s)
        print(f"    drop {' / '.join(f'{d:.2f}' for d in drops)} points (bar: at most {bar}"
              f"{', every seed' if len(seeds) > 1 else ''}) -> {'met' if max(drops) <= bar else 'MISSED'}")
    print("  the 90% bar is measured on the per-layer runs with conv1 and fc2 dense (90.0% of the network's "
          "weights pruned; seeds 0-2, each its own dense model); the other two are printed beside it (seed 0)")


# (T, alpha) candidates: T = 4, alpha = 0.9 is the usual setting (Hinton et al. 2015 use T in 1..20 and a
# soft term weighted far above the hard one; Polino et al. 2018 and most distillation baselines: T = 4, 0.9).
DISTILL_GRID = ((4.0, 0.9), (8.0, 0.9))


def _spread(xs: list[float]) -> str:
    return (f"{100 * statistics.mean(xs):6.2f} ± {100 * statistics.stdev(xs):4.2f}" if len(xs) > 1
            else f"{100 * xs[0]:6.2f}")


def distill(seeds=(0, 1, 2)):
    """Labels only vs distilled fine-tuning at 95 %, paired per seed (same dense teacher, same masks'
    starting point). (T, alpha) is chosen on the validation split (mean over seeds); the test split is
    only reported."""
    from cosim.prune.distill import Distill

    sch = Schedule("poly", 5, 3)
    print("mnist-cnn, unstructured 95% global, poly 5x3 epochs: fine-tuning on labels only vs with knowledge "
          "distillation from the dense model (teacher frozen, logits of the dense model); val / test accuracy %")
    runs: dict[tuple | None, list] = {None: [], **{ta: [] for ta in DISTILL_GRID}}
    for seed in seeds:
        t0 = time.perf_counter()
        line = f"  seed {seed}:"
        for ta in runs:
            r = prune_workload("mnist-cnn", "unstructured:0.95", schedule=sch, scope="global", seed=seed,
                               distill=Distill(*ta) if ta else None)
            runs[ta].append((r.steps[-1].accuracy, r.accuracy_after))  # validation after the last step, test
            if ta is None:
                line += f" dense {100 * r.accuracy_before:6.2f} | labels only"
            else:
                line += f" | T={ta[0]:g},a={ta[1]:g}"
            line += f" {100 * r.steps[-1].accuracy:5.1f}/{100 * r.accuracy_after:5.1f}"
        print(line + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    val = {ta: statistics.mean(v for v, _ in rs) for ta, rs in runs.items()}
    print(f"  mean ± s.d. over {len(seeds)} seeds (test): labels only {_spread([t for _, t in runs[None]])}; "
          f"validation {100 * val[None]:.2f}")
    for ta in DISTILL_GRID:
        gains = [d - p for (_, d), (_, p) in zip(runs[ta], runs[None])]
        print(f"    T={ta[0]:g}, alpha={ta[1]:g}: test {_spread([t for _, t in runs[ta]])}, paired gain "
              f"{_spread(gains).strip()} points; validation {100 * val[ta]:.2f}")
    best = max(DISTILL_GRID, key=lambda ta: val[ta])
    gains = [d - p for (_, d), (_, p) in zip(runs[best], runs[None])]
    sd = statistics.stdev(gains) if len(gains) > 1 else 0.0
    mean = statistics.mean(gains)
    verdict = ("helps" if mean > sd else "hurts" if mean < -sd else
               "does not help measurably (gain within one s.d. of the seeds)")
    print(f"  chosen on validation: T={best[0]:g}, alpha={best[1]:g} -> on test distillation {verdict}: "
          f"{100 * mean:+.2f} ± {100 * sd:.2f} points (1,000 test images: one image is 0.1 point)")


SECTIONS = {"mnist": mnist, "distill": distill, "dense": dense, "patterns": patterns, "criteria": criteria, "quant": quant, "hw": hw,
            **{f"hw-{k}": (lambda k=k: hw((k,))) for k in HW_SETUPS}}

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--section", choices=list(SECTIONS), action="append")
    args = ap.parse_args()
    for name in args.section or ["dense", "patterns", "criteria", "quant", "mnist", "distill", "hw"]:
        t = time.perf_counter()
        SECTIONS[name]()
        print(f"  [{name}: {time.perf_counter() - t:.1f} s]\n")
