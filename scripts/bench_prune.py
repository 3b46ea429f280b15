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
            schedule; mnist-mlp dense
  distill   mnist-cnn at 95 % unstructured (poly): fine-tuning with and without knowledge distillation,
            mean of 3 seeds (each seed trains its own dense teacher)

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
    ("unstructured 90% poly 5x3, global", "unstructured:0.9", Schedule("poly", 5, 3), {"scope": "global"}, 1.5),
)


def mnist():
    print("MNIST (5,000 embedded images: 3,500 train / 500 val / 1,000 test)")
    for wl in ("mnist-mlp", "mnist-cnn"):
        r, s = timed(wl, "dense")
        print(f"  {wl:<12} dense {100 * r.accuracy_after:6.2f} %   {s:5.1f} s (training, or the cached weights)")
    for label, pat, sch, kw, bar in MNIST_BARS:
        r, s = timed("mnist-cnn", pat, schedule=sch, **kw)
        drop = 100 * (r.accuracy_before - r.accuracy_after)
        row(label, r, s)
        print(f"    drop {drop:.2f} points (bar: at most {bar}) -> {'met' if drop <= bar else 'MISSED'}")


DISTILL_SETTINGS = ((1.0, 0.9), (2.0, 0.5), (4.0, 0.7))  # (T, alpha): Hinton et al. 2015 use T in 1..20


def distill(seeds=(0, 1, 2)):
    from cosim.prune.distill import Distill

    sch = Schedule("poly", 5, 3)
    print("mnist-cnn, unstructured 95% global, poly 5x3 epochs: fine-tuning on labels only vs with knowledge "
          "distillation from the dense model, test accuracy %")
    plain: list[float] = []
    dist: dict[tuple, list[float]] = {ta: [] for ta in DISTILL_SETTINGS}
    for seed in seeds:
        t0 = time.perf_counter()
        a = prune_workload("mnist-cnn", "unstructured:0.95", schedule=sch, scope="global", seed=seed)
        plain.append(a.accuracy_after)
        line = f"  seed {seed}: dense {100 * a.accuracy_before:6.2f}  labels only {100 * a.accuracy_after:6.2f}"
        for t, al in DISTILL_SETTINGS:
            b = prune_workload("mnist-cnn", "unstructured:0.95", schedule=sch, scope="global", seed=seed,
                               distill=Distill(t, al))
            dist[(t, al)].append(b.accuracy_after)
            line += f"  T={t:g},a={al:g} {100 * b.accuracy_after:6.2f}"
        print(line + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    base = statistics.mean(plain)
    print(f"  mean of {len(seeds)} seeds: labels only {100 * base:6.2f}")
    for (t, al), accs in dist.items():
        gain = 100 * (statistics.mean(accs) - base)
        print(f"    distilled T={t:g}, alpha={al:g}: {100 * statistics.mean(accs):6.2f} -> distillation "
              f"{'helps' if gain > 0 else 'does not help'} ({gain:+.2f} points)")


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
