"""``cosim prune``: prune a workload, report compression and accuracy, write a pruned-model file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cosim.cli import params as P

from cosim.errors import CosimError, require


@click.command("prune")
@click.option("--workload", "-w", default=None,
              help="digits-mlp | digits-cnn | mnist-mlp | mnist-cnn (trained here, real accuracy), a zoo name or a YAML/ONNX/CSV path.")
@click.option("--pattern", "-p", required=True,
              help="2:4 | N:M[:k|n] | unstructured:S | block:BHxBW:S | channel:S | layer:S | dense (S = sparsity in [0, 1)).")
@click.option("--criterion", default="magnitude", show_default=True,
              type=click.Choice(["magnitude", "l1", "l2", "taylor", "activation", "random"]),
              help="Importance score; taylor and activation need data (digits models).")
@click.option("--scope", default="layer", show_default=True, type=click.Choice(["layer", "global"]),
              help="Same sparsity in every layer, or one global threshold (unstructured only).")
@click.option("--schedule", default="one-shot", show_default=True,
              type=click.Choice(["one-shot", "iterative", "poly", "adaptive"]))
@click.option("--steps", default=5, show_default=True, type=P.COUNT, help="Pruning steps (iterative, poly, adaptive).")
@click.option("--finetune-epochs", default=None, type=P.ROWS,
              help="Fine-tuning epochs after each step (default 5 for digits models, 0 otherwise).")
@click.option("--initial-sparsity", default=0.0, show_default=True, type=P.FRACTION, help="poly/adaptive start s_i.")
@click.option("--tolerance", default=0.01, show_default=True, type=P.POSITIVE,
              help="adaptive: largest validation accuracy drop accepted (0.01 = 1 point).")
@click.option("--quantize", "quantize", default="none", show_default=True,
              help="none | int8 | int4 | intB[-sym|-asym][-channel|-tensor] (weights).")
@click.option("--act-bits", default=None, type=P.BITS, help="Activation bits when quantizing (default: the weight bits).")
@click.option("--qat-epochs", default=0, show_default=True, type=P.ROWS,
              help="Quantization-aware fine-tuning epochs (digits models).")
@click.option("--share-bits", default=None, type=P.BITS, help="k-means weight sharing with 2^B shared values per layer.")
@click.option("--share-scope", default="layer", show_default=True, type=click.Choice(["layer", "network"]),
              help="Weight sharing: a codebook per layer, or one for the whole network (cross-layer).")
@click.option("--evaluator", default=None, metavar="MODULE:FUNCTION",
              help="Your accuracy: FUNCTION(weights) -> accuracy in [0, 1] on your data, given the pruned "
                   "weights (cosim/search/evaluator.py); without -w, the module's graph() is pruned.")
@click.option("--skip", multiple=True, help="Layer left dense (repeatable).")
@click.option("--distill", default=None, metavar="T,ALPHA",
              help="Fine-tune with knowledge distillation from the dense model: temperature T, soft-target "
                   "weight ALPHA (Hinton et al. 2015; e.g. 4,0.7). The report also gives the accuracy without it.")
@click.option("--accelerator", "-a", default=None, help="With a budget: preset or YAML whose simulation prices layers.")
@click.option("--budget-latency-ms", default=None, type=P.POSITIVE, help="Hardware-aware: per-layer sparsity meeting this latency.")
@click.option("--budget-energy-uj", default=None, type=P.POSITIVE, help="Hardware-aware: per-layer sparsity meeting this energy.")
@click.option("--sensitivity-epochs", default=1, show_default=True, type=P.ROWS,
              help="Hardware-aware on digits models: fine-tuning epochs before measuring each candidate.")
@click.option("--seed", default=0, show_default=True, type=P.SEED)
@click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False),
              help="Pruned-model file to write (.npz); `cosim simulate --pruned FILE` reads it.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the prune report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print the summary only, no per-layer table.")
def command(workload, pattern, criterion, scope, schedule, steps, finetune_epochs, initial_sparsity, tolerance,
            quantize, act_bits, qat_epochs, share_bits, share_scope, evaluator, skip, distill, accelerator, budget_latency_ms, budget_energy_uj,
            sensitivity_epochs, seed, out, json_path, quiet):
    """Prune WORKLOAD with PATTERN; print compression metrics and accuracy; write --out.

    \b
    Examples:
      cosim prune -w digits-cnn -p 2:4 --finetune-epochs 5 --out cnn24.npz
      cosim prune -w mnist-cnn -p unstructured:0.95 --schedule poly --distill 4,0.7 --out m95.npz
      cosim prune -w digits-cnn -p unstructured:0.9 --schedule poly --steps 8 --scope global --out u90.npz
      cosim prune -w resnet50 -p unstructured:0.8 --quantize int8 --out r50.npz
      cosim prune -w digits-cnn -p channel:0.9 --quantize int8 -a scalesim-32x32-ws --budget-latency-ms 0.002 --out hw.npz
    """
    from cosim.prune.digits import ARCHS
    from cosim.prune.distill import parse_distill
    from cosim.prune.io import save_pruned
    from cosim.prune.patterns import parse_pattern
    from cosim.prune.quantize import parse_quant
    from cosim.prune.report import format_run, run_report
    from cosim.prune.schedules import Schedule
    from cosim.prune.workflow import hardware_aware_allocation, prune_workload

    for flag, p in (("--out", out), ("--json", json_path)):
        if p and not (Path(p).parent if str(Path(p).parent) else Path(".")).is_dir():
            raise CosimError(f"{flag}: folder '{Path(p).parent}' does not exist; create it or choose another path")
    pat = parse_pattern(pattern)
    dist = parse_distill(distill)
    evaluate = None
    require(workload is not None or evaluator is not None,
            "give --workload (-w) or an --evaluator whose module builds the model (graph())")
    if evaluator is not None:
        from cosim.search.evaluator import evaluator_graph, load_evaluator

        evaluate = load_evaluator(evaluator)
        if workload is None:
            workload = evaluator_graph(evaluator)
        else:
            require(workload.lower() not in ARCHS, f"--evaluator: '{workload}' is measured by cosim itself; "
                                                   "drop --evaluator or give your own model")
    is_digits = isinstance(workload, str) and workload.lower() in ARCHS
    if finetune_epochs is None:
        finetune_epochs = 5 if is_digits else 0
    sched = Schedule(schedule, steps if schedule != "one-shot" else 1, finetune_epochs, initial_sparsity, tolerance)
    quant = parse_quant(quantize)
    require(act_bits is None or 2 <= act_bits <= 16, f"--act-bits must be 2..16, got {act_bits}")
    require(act_bits is None or quant is not None, "--act-bits needs --quantize (e.g. --quantize int8)")
    require(share_bits is None or 1 <= share_bits <= 16, f"--share-bits must be 1..16, got {share_bits}")
    require(not (budget_latency_ms is not None and budget_energy_uj is not None),
            "give one budget: --budget-latency-ms or --budget-energy-uj, not both")
    layer_sparsity = None
    allocation = None
    if budget_latency_ms is not None or budget_energy_uj is not None:
        require(accelerator is not None, "a budget needs --accelerator (the hardware whose simulation prices it)")
        from cosim.hw.loader import load_accelerator

        spec = load_accelerator(accelerator)
        if budget_latency_ms is not None:
            require(budget_latency_ms > 0, f"--budget-latency-ms must be > 0, got {budget_latency_ms}")
            metric, budget = "latency_s", budget_latency_ms * 1e-3
        else:
            require(budget_energy_uj > 0, f"--budget-energy-uj must be > 0, got {budget_energy_uj}")
            metric, budget = "energy_pj", budget_energy_uj * 1e6
        allocation = hardware_aware_allocation(workload, pat, spec, budget, metric=metric, criterion=criterion,
                                               quant=quant, act_bits=act_bits, skip=tuple(skip),
                                               sensitivity_epochs=sensitivity_epochs, seed=seed)
        layer_sparsity = allocation.layer_sparsity
    elif accelerator is not None:
        raise CosimError("--accelerator is used with --budget-latency-ms or --budget-energy-uj; give a budget")

    run = prune_workload(workload, pat, criterion=criterion, scope=scope, schedule=sched, quant=quant,
                         act_bits=act_bits, qat_epochs=qat_epochs, share_bits=share_bits, skip=tuple(skip),
                         layer_sparsity=layer_sparsity, seed=seed, distill=dist, share_scope=share_scope,
                         evaluate=evaluate)
    if dist is not None:  # the same recipe on labels only: what distillation bought
        plain = prune_workload(workload, pat, criterion=criterion, scope=scope, schedule=sched, quant=quant,
                               act_bits=act_bits, qat_epochs=qat_epochs, share_bits=share_bits, skip=tuple(skip),
                               layer_sparsity=layer_sparsity, seed=seed, share_scope=share_scope)
        run.accuracy_without_distill = plain.accuracy_after
    report = run_report(run, allocation)
    # Everything is computed before anything is written: an error leaves no file behind.
    text = format_run(run, allocation, per_layer=not quiet)
    meta = dict(report)
    save_pruned(out, run.graph, meta, run.weights)
    if json_path:
        from cosim.outputs import write_atomic

        write_atomic(json_path, json.dumps(report, indent=2, default=float))
    click.echo(text)
    click.echo(f"wrote {out}")
