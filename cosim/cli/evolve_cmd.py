"""``cosim evolve``: NSGA-II over per-layer sparsities, accuracy × latency × energy on one accelerator."""

from __future__ import annotations

import json

import click

from cosim.cli import params as P


@click.command("evolve")
@click.option("--workload", "-w", required=True,
              help="digits-mlp | digits-cnn | mnist-mlp | mnist-cnn (measured accuracy), a zoo name or a file.")
@click.option("--accelerator", "-a", required=True, help="Preset or YAML whose simulation prices each genome.")
@click.option("--pattern", "-p", required=True,
              help="unstructured:S | N:M | block:BHxBW:S | channel:S — each layer takes a level up to S.")
@click.option("--population", default=12, show_default=True, type=P.COUNT, help="NSGA-II population.")
@click.option("--generations", default=5, show_default=True, type=P.ROWS, help="NSGA-II generations.")
@click.option("--finetune-epochs", default=1, show_default=True, type=P.ROWS,
              help="Fine-tuning epochs per genome (embedded models).")
@click.option("--evaluator", default=None, metavar="MODULE:FUNCTION",
              help="Your accuracy for your model's weights (cosim/search/evaluator.py); else a named proxy.")
@click.option("--seed", default=0, show_default=True, type=P.SEED)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the front as JSON.")
def command(workload, accelerator, pattern, population, generations, finetune_epochs, evaluator, seed, json_path):
    """Evolve per-layer sparsities of WORKLOAD on ACCELERATOR (NSGA-II); print the Pareto front.

    \b
    Examples:
      cosim evolve -w digits-mlp -a sparse-32x32-unstructured -p unstructured:0.9 --generations 4
      cosim evolve -w resnet50 -a s2ta-32x32-nm -p 2:4 --population 16
    """
    from cosim.search.evolve import evolve_pruning

    res = evolve_pruning(workload, accelerator, pattern, population=population, generations=generations,
                         finetune_epochs=finetune_epochs, seed=seed, evaluator=evaluator)
    acc_label = "test accuracy (measured)" if res.accuracy_kind == "measured" else (
        f"{res.accuracy_kind.split(':', 1)[1]} (evaluator)" if res.accuracy_kind.startswith("evaluator:")
        else f"{res.accuracy_kind.split(':', 1)[1]} (proxy, not an accuracy)")
    click.echo(f"evolve {res.workload} on {res.accelerator}, pattern {res.pattern}: {res.evaluated} distinct genomes "
               f"over {res.generations} generations; {len(res.front)} on the front; accuracy column: {acc_label}")
    click.echo(f"{'accuracy':>9} {'latency_s':>11} {'energy_j':>11}  per-layer sparsity ({', '.join(res.layers)})")
    for ind in res.front:
        levels = " ".join(f"{ind.layer_sparsity[n]:.3f}" for n in res.layers)
        click.echo(f"{ind.accuracy:9.4f} {ind.latency_s:11.4g} {ind.energy_j:11.4g}  {levels}")
    if json_path:
        from cosim.outputs import write_atomic

        doc = {"workload": res.workload, "accelerator": res.accelerator, "pattern": res.pattern,
               "accuracy_kind": res.accuracy_kind, "evaluated": res.evaluated, "generations": res.generations,
               "front": [{"accuracy": i.accuracy, "latency_s": i.latency_s, "energy_j": i.energy_j,
                          "layer_sparsity": i.layer_sparsity} for i in res.front]}
        write_atomic(json_path, json.dumps(doc, indent=2))
        click.echo(f"wrote {json_path}")
