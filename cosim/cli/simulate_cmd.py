"""``cosim simulate``: one workload on one accelerator, per-layer table and totals."""

from __future__ import annotations

import click

from cosim.cli import params as P

from cosim.errors import CosimError


@click.command("simulate")
@click.option("--accelerator", "-a", required=True, help="Preset name (see `cosim presets`) or YAML path.")
@click.option("--workload", "-w", default=None,
              help="Zoo name (resnet50, bert-base, ...) or a YAML/ONNX/CSV path. Not needed with --pruned.")
@click.option("--pruned", "pruned_path", type=click.Path(dir_okay=False), default=None,
              help="A pruned network written by `cosim prune --out FILE.npz` (masks, bit widths, graph).")
@click.option("--sparsity", "sparsity", default=None,
              help="Weight sparsity for every weight layer: dense, 2:4 (any N:M), unstructured:0.8, "
                   "block:4x4:0.75, channel:0.3 — or a per-layer YAML file (layer names/globs → spec).")
@click.option("--batch", "-b", type=P.BATCH, default=None, help="Batch size (default: the workload's own, usually 1).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the full report as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the per-layer table as CSV.")
@click.option("--max-rows", type=P.ROWS, default=None, help="Print at most this many layer rows.")
@click.option("--no-fuse", is_flag=True, help="Run batch norms/activations as separate layers instead of fusing "
              "them into their producer's output path.")
@click.option("--precision", default=None,
              help="Arithmetic of every layer: int8, int4, int16, fp8, fp16, bf16, fp32 (default: the workload's "
                   "bit widths as integers; GPUs pick their nearest precision of that width).")
@click.option("--strict", is_flag=True, help="Exit 2 instead of printing a note where something ran differently "
              "from what was asked (sparsity run dense or as another pattern, layers left dense, weights not read).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A workload parameter (repeatable), e.g. --param seq_len=512; `cosim presets` lists them.")
@click.option("--quiet", "-q", is_flag=True, help="Print totals only.")
def command(accelerator, workload, pruned_path, params, sparsity, batch, json_path, csv_path, max_rows, no_fuse,
            precision, strict, quiet):
    """Simulate WORKLOAD on ACCELERATOR and print per-layer cycles, traffic and energy.

    \b
    Examples:
      cosim simulate --accelerator scalesim-32x32-ws --workload resnet50 --json r50.json
      cosim simulate -a s2ta-32x32-nm -w bert-base --sparsity 2:4
      cosim simulate -a h100-sxm --pruned pruned.npz --csv layers.csv
      cosim simulate -a h100-sxm -w resnet50 --precision fp16 --strict
    """
    from cosim.hw.loader import load_accelerator
    from cosim.simulate import simulate
    from cosim.workloads import load_workload

    if batch is not None and batch < 1:
        raise CosimError(f"--batch must be a positive integer, got {batch}")
    if (workload is None) == (pruned_path is None):
        raise CosimError("give exactly one of --workload NAME|PATH or --pruned FILE.npz")
    from cosim.outputs import check_replaceable

    for path, flag in ((json_path, "--json"), (csv_path, "--csv")):  # refuse before simulating, not after
        if path:
            check_replaceable(path, flag)
    spec = load_accelerator(accelerator)
    if pruned_path is not None:
        from cosim.prune.io import load_pruned

        if params:
            raise CosimError("--param sets workload parameters; it does not apply to --pruned FILE.npz")

        graph = load_pruned(pruned_path)
    else:
        from cosim.cli.named_workloads import embedded_graph

        kv = parse_params(params)
        if batch is not None and "batch" in kv and str(kv["batch"]) != str(batch):
            raise CosimError(f"--batch {batch} and --param batch={kv['batch']} disagree; give the batch once")
        graph = embedded_graph(workload)
        if graph is not None and kv:
            raise CosimError(f"--param: '{workload}' is an embedded model with fixed shapes; it takes no "
                             f"parameters (use --batch N or --precision P)")
        if graph is None:
            graph = load_workload(workload, **kv)
    notes: list[str] = list(graph.import_notes)
    if precision is None and graph.stored_format:
        from cosim.precision import layer_format

        ran = sorted({layer_format(l) for l in graph.layers() if l.is_compute})
        if ran and ran != [graph.stored_format]:
            notes.append(f"the workload stores {graph.stored_format} weights; its compute layers ran as "
                         f"{', '.join(ran)} (cosim's default for imported models); --precision "
                         f"{graph.stored_format} runs them as stored")
    if precision is not None:
        from cosim.precision import with_precision

        graph = with_precision(graph, precision)
    dense_graph = graph
    if sparsity is not None:
        from pathlib import Path

        from cosim.sparsity_spec import apply_sparsity, load_sparsity_yaml

        is_file = sparsity.endswith((".yaml", ".yml")) or Path(sparsity).is_file()
        if pruned_path is not None:  # the reference is dense weights, not the pruned file's masks
            dense_graph = apply_sparsity(graph, "dense")
        graph = apply_sparsity(graph, load_sparsity_yaml(sparsity) if is_file else sparsity)
        left = graph.sparsity_left_dense
        if left:
            notes.append(f"--sparsity {sparsity} does not fit {len(left)} layer(s), left dense: "
                         f"{', '.join(sorted(left)[:5])}{' ...' if len(left) > 5 else ''}")
    report = simulate(graph, spec, batch=batch, fuse=not no_fuse,
                      inputs={"workload": workload or pruned_path, "sparsity": sparsity, "batch": batch,
                              "precision": precision})
    if sparsity is not None and graph is not dense_graph and any(not l.weight_sparsity.is_dense for l in graph.layers()):
        report = with_dense_reference(report, simulate(dense_graph, spec, batch=batch, fuse=not no_fuse),
                                      f"{sparsity} weights")
    notes.extend(report.notes)
    if strict and notes:
        raise CosimError(f"--strict: {notes[0]}" + (f" (and {len(notes) - 1} more note(s))" if len(notes) > 1 else ""))
    for note in notes:
        click.echo(f"note: {note}", err=True)
    # Build every output in memory first, then write: an error never leaves a partial file.
    if json_path:
        report.write_json(json_path)
    if csv_path:
        report.write_csv(csv_path)
    text = report.to_table(max_rows=max_rows)
    if quiet:
        lines = text.splitlines()
        text = "\n".join(lines[next(i for i, l in enumerate(lines) if l.startswith("total:")):])
    click.echo(text)


def with_dense_reference(report, dense, label: str):
    """``report`` with the dense-weight run of the same network beside it, and the one line saying which
    bounds the difference comes from (cosim/attribution.py)."""
    import dataclasses

    from cosim.attribution import versus

    t, d = report.total, dense.total
    line = versus(label, t.latency_s, t.latency_s_by_bound, "dense weights", d.latency_s, d.latency_s_by_bound)
    return dataclasses.replace(report, dense_reference={
        "latency_s": d.latency_s, "energy_pj": d.energy_pj, "latency_s_by_bound": dict(d.latency_s_by_bound),
        "versus": line})


def parse_params(items) -> dict[str, str]:
    """``("seq_len=512", "phase=decode")`` -> ``{"seq_len": "512", ...}``; the workload checks names and types."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise CosimError(f"--param '{item}' must be KEY=VALUE, e.g. --param seq_len=512")
        out[key.strip()] = value.strip()
    return out
