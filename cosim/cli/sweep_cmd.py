"""``cosim sweep``: evaluate a design space into a resumable store, then write its front and plots."""

from __future__ import annotations

import sys

import click

from cosim.cli import params as P


@click.command("sweep")
@click.argument("space", required=False)
@click.option("--out", "-o", "out_dir", default="cosim-out", show_default=True, type=click.Path(file_okay=False),
              help="Output folder: sweep.sqlite, front.csv, pareto.png/.svg.")
@click.option("--sampler", type=click.Choice(["grid", "random", "nsga2"]), default=None,
              help="Point sampler [default: grid; on --resume: the stored one].")
@click.option("--points", "-n", type=P.COUNT, default=None, help="Points to evaluate (required for random and nsga2).")
@click.option("--seed", type=P.SEED, default=None, help="Sampler seed [default: the space's seed].")
@click.option("--executor", type=click.Choice(["processes", "serial", "dask"]), default="processes",
              show_default=True, help="Where points are evaluated. dask: trusted clusters only — its scheduler "
              "and workers exchange pickled objects with this process, so whoever controls them can run code "
              "here; use a cluster you control, over TLS (--dask-security) on a shared network.")
@click.option("--workers", type=click.IntRange(1, 1024), default=None, help="Worker processes [default: one per core].")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://HOST:8786) for --executor dask.")
@click.option("--dask-security", default=None, type=click.Path(dir_okay=False),
              help="YAML of distributed.Security TLS fields (tls_ca_file, tls_client_cert, tls_client_key, "
                   "require_encryption) for --executor dask.")
@click.option("--chunk-size", type=P.COUNT, default=2048, show_default=True,
              help="Batch-evaluated (systolic) points per task and per commit; 1/256 of it for the others.")
@click.option("--max-area-mm2", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Constraint: designs above this silicon area (area_mm2) are infeasible (adds to the space's).")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep in --out (same space).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--no-plots", is_flag=True, help="Skip the front CSV and plots after the sweep.")
def command(space, out_dir, sampler, points, seed, executor, workers, scheduler, dask_security, chunk_size,
            max_area_mm2, resume, no_progress,
            no_plots):
    """Sweep SPACE (a design-space YAML or the name of a shipped one; default: the built-in co-search
    of ResNet-50, BERT-base and the small CNN digits-cnn, whose accuracy is measured after fine-tuning,
    over systolic, sparse-tensor-core and FPGA candidates with dense, 2:4, unstructured, block and
    channel pruning; ranked by accuracy_measured_or_proxy: measured where a model has data, the
    weight-norm proxy otherwise) and write the result store, the Pareto front per workload and its plots.
    Each distinct training recipe is trained once and kept in the store.

    \b
    Examples:
      cosim sweep --out cosim-out/                      # the default co-search
      cosim sweep systolic-grid --out sweep1/ --sampler random --points 10000 --seed 1
      cosim sweep systolic-grid --out sweep1/ --resume     # after Ctrl-C or a crash
      cosim sweep my-space.yaml --sampler nsga2 --points 2000 --executor dask --scheduler tcp://HOST:8786
      cosim pareto cosim-out/ --x latency_s --y energy_j --color accuracy_proxy_weight_norm --png front.png

    \b
    A space file (shipped ones: workloads/spaces/*.yaml, usable by name):
      workloads: [resnet50]
      pruning: {sparsity: [dense, "2:4", "unstructured:0.5"], allocation: [uniform, "hw-latency:0.7"], bits: [8],
                recipe: [default, "poly:steps=5:ft=3:distill=4,0.7"]}
      candidates:
        - name: systolic
          base: scalesim-32x32-ws
          vary: {pe_array.rows: [16, 32, 64], sram.ifmap.size_kib: {range: [32, 512], num: 5, log: true}}
      constraints: {sram_kib: {max: 1024}}
      objectives: [latency_s, energy_j]
    """
    from pathlib import Path

    from cosim.search.space import default_space_path, load_space
    from cosim.search.sweep import resume_hint, run_sweep

    space_obj = load_space(space if space else default_space_path())
    if max_area_mm2 is not None:
        space_obj = with_max(space_obj, "area_mm2", max_area_mm2)
    click.echo(f"space '{space_obj.name}': {space_obj.size:,} points in {len(space_obj.candidates)} candidate(s): "
               + ", ".join(f"{c.name} ({c.size:,})" for c in space_obj.candidates), err=True)
    if (sampler in (None, "grid")) and not resume and points is not None and points < space_obj.size:
        click.echo(truncated_grid_note(space_obj, points), err=True)
    res = run_sweep(space_obj, out_dir, sampler=sampler, points=points, seed=seed, executor=executor,
                    workers=workers, scheduler=scheduler, dask_security=dask_security, chunk_size=chunk_size,
                    resume=resume,
                    progress=not no_progress)
    counts = ", ".join(f"{k} {v:,}" for k, v in res.status_counts.items()) or "none"
    if res.interrupted:
        click.echo(f"\ninterrupted: {res.evaluated:,} points stored this run ({counts} in total) in {res.store_path}",
                   err=True)
        click.echo(f"resume with: {resume_hint(space, out_dir)}", err=True)
        sys.exit(130)
    rate = res.evaluated / res.elapsed_s if res.elapsed_s > 0 else 0.0
    click.echo(f"evaluated {res.evaluated:,} points in {res.elapsed_s:.1f} s ({rate:,.0f} points/s), "
               f"{res.skipped:,} already stored; store: {counts} -> {res.store_path}")
    if res.recipe_points:
        click.echo(f"trained {res.recipes_trained} distinct recipes for {res.recipe_points:,} points "
                   "(measured accuracy; each recipe once, kept in the store)")
    if not no_plots:
        _write_front_outputs(res.store_path, space_obj, Path(out_dir))


def truncated_grid_note(space, points: int) -> str:
    """The grid takes the first ``points`` indices in order: which candidates that leaves out."""
    covered, start = [], 0
    for c in space.candidates:
        if start < points:
            covered.append(c.name if start + c.size <= points else f"{c.name} (part)")
        start += c.size
    left = len(space.candidates) - len(covered)
    return (f"note: the grid sampler evaluates the first {points:,} of {space.size:,} points in order, not a sample "
            f"of the space: {', '.join(covered)}" + (f"; {left} candidate(s) not reached" if left else "")
            + f"; --sampler random -n {points} samples all of it")


def with_max(space, metric: str, top: float):
    """``space`` with the constraint ``metric <= top`` (replacing a max of its own on that metric)."""
    import dataclasses

    from cosim.search.space import Constraint

    kept = [c for c in space.constraints if c.metric != metric]
    mine = [c for c in space.constraints if c.metric == metric]
    low = mine[0].min if mine else None
    return dataclasses.replace(space, constraints=(*kept, Constraint(metric, min=low, max=top)))


def _write_front_outputs(store_path, space, out_dir) -> None:
    from cosim.plot import front_colors, plot_front
    from cosim.search.front import design_label, front_table, varied_fields, write_front_csv
    from cosim.search.store import ResultStore

    with ResultStore(store_path) as store:
        if store.count("ok") == 0:
            click.echo("no ok points: no front to write (see the store's reason column)")
            return
        objectives = space.objectives
        table = front_table(store, objectives)
        n = write_front_csv(table, out_dir / "front.csv")
        # Colour by measured accuracy where a workload has it, else by its proxy.
        colors = front_colors(store, table, ["accuracy", "accuracy_proxy_weight_norm"])
        for suffix in ("png", "svg"):
            plot_front(table, out_dir / f"pareto.{suffix}", colors=colors,
                       title=f"{space.name}: Pareto fronts ({len(table.ids):,} ok points)")
    click.echo(f"front: {n} designs -> {out_dir / 'front.csv'}; plots -> {out_dir / 'pareto.png'}, .svg")
    for g in table.group_names():
        rows = [r for r in table.front if r["workload"] == g]
        rows.sort(key=lambda r: r[objectives[0]])
        click.echo(f"  {g}: {len(rows)} on the front, e.g.")
        shown = list(objectives) + [m for m in ("accuracy",) if m not in objectives]
        for r in rows[:: max(1, len(rows) // 4)][:5]:
            vals = ", ".join(f"{o} {r[o]:.4g}" for o in shown if r[o] == r[o])  # NaN: not measured
            click.echo(f"    {design_label(r, varied_fields(table.front))}: {vals}")

