"""``cosim simulate``: one workload on one accelerator, per-layer table and totals."""

from __future__ import annotations

import click

from cosim.errors import CosimError


@click.command("simulate")
@click.option("--accelerator", "-a", required=True, help="Preset name (see `cosim presets`) or YAML path.")
@click.option("--workload", "-w", required=True, help="Zoo name (resnet50, bert-base, ...) or a YAML/ONNX/CSV path.")
@click.option("--batch", "-b", type=int, default=None, help="Batch size (default: the workload's own, usually 1).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the full report as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the per-layer table as CSV.")
@click.option("--max-rows", type=int, default=None, help="Print at most this many layer rows.")
@click.option("--no-fuse", is_flag=True, help="Run batch norms/activations as separate layers instead of fusing "
              "them into their producer's output path.")
@click.option("--quiet", "-q", is_flag=True, help="Print totals only.")
def command(accelerator, workload, batch, json_path, csv_path, max_rows, no_fuse, quiet):
    """Simulate WORKLOAD on ACCELERATOR and print per-layer cycles, traffic and energy.

    \b
    Example:
      cosim simulate --accelerator scalesim-32x32-ws --workload resnet50 --json r50.json
    """
    from cosim.hw.loader import load_accelerator
    from cosim.simulate import simulate
    from cosim.workloads import load_workload

    if batch is not None and batch < 1:
        raise CosimError(f"--batch must be a positive integer, got {batch}")
    spec = load_accelerator(accelerator)
    graph = load_workload(workload)
    report = simulate(graph, spec, batch=batch, fuse=not no_fuse, inputs={"workload": workload, "batch": batch})
    # Build every output in memory first, then write: an error never leaves a partial file.
    if json_path:
        report.write_json(json_path)
    if csv_path:
        report.write_csv(csv_path)
    text = report.to_table(max_rows=max_rows)
    click.echo(text.splitlines()[-2] + "\n" + text.splitlines()[-1] if quiet else text)
