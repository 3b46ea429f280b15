"""``cosim pareto``: the non-dominated designs of a sweep store over 2–3 objectives."""

from __future__ import annotations

import click

from cosim.cli import params as P


@click.command("pareto")
@click.argument("store", type=click.Path())
@click.option("--x", "x", default="latency_s", show_default=True, help="First objective (metric name).")
@click.option("--y", "y", default="energy_j", show_default=True, help="Second objective.")
@click.option("--z", "z", default=None, help="Optional third objective.")
@click.option("--color", default=None, help="Metric to color points by in the plot (e.g. accuracy).")
@click.option("--by", default="workload", show_default=True,
              type=click.Choice(["workload", "candidate", "kind", "sparsity"]),
              help="One front per value of this column.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the front as CSV.")
@click.option("--png", "png_path", type=click.Path(dir_okay=False), help="Write the front plot (.png or .svg).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="Write the interactive explorer (one offline .html; as `cosim plot STORE --html`).")
@click.option("--export", "export_path", type=click.Path(dir_okay=False),
              help="Export every stored point (.csv, or .parquet with pyarrow).")
@click.option("--max-area-mm2", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Leave out designs whose silicon area (area_mm2) exceeds this.")
@click.option("--max-rows", type=P.ROWS, default=20, show_default=True, help="Front rows to print per group.")
def command(store, x, y, z, color, by, csv_path, png_path, html_path, export_path, max_area_mm2, max_rows):
    """Print the Pareto front of STORE (a sweep's output folder or its sweep.sqlite); objectives named
    accuracy or accuracy_proxy_weight_norm are maximised, the others minimised.

    \b
    Examples:
      cosim pareto cosim-out/ --x latency_s --y energy_j --color accuracy --csv front.csv --png front.png
      cosim pareto cosim-out/sweep.sqlite --x edp_j_s --y sram_kib --z accuracy_proxy_weight_norm
      cosim pareto cosim-out/ --export all-points.parquet
      cosim pareto sweep1/ --x latency_s --y energy_j --z area_mm2 --max-area-mm2 20
    """
    from pathlib import Path

    import numpy as np

    from cosim.errors import require
    from cosim.plot import front_colors, plot_front
    from cosim.metrics import METRICS
    from cosim.search.front import design_label, empty_front_reason, front_table, varied_fields, write_front_csv
    from cosim.search.store import ResultStore, resolve_store

    objectives = [o for o in (x, y, z) if o]
    for o in objectives + ([color] if color else []):
        require(o in METRICS, f"'{o}' is not a metric; use one of {', '.join(METRICS)}")
    require(len(set(objectives)) == len(objectives), "--x, --y and --z must name different metrics")
    with ResultStore(resolve_store(store)) as st:
        if export_path:
            suffix = Path(export_path).suffix.lower()
            require(suffix in (".csv", ".parquet"), f"--export '{export_path}': use a .csv or .parquet name")
            n = st.export_parquet(export_path) if suffix == ".parquet" else st.export_csv(export_path)
            click.echo(f"exported {n:,} points -> {export_path}")
        require(st.count("ok") > 0, f"store '{store}' has no ok points; nothing is on a front")
        limits = {"area_mm2": max_area_mm2} if max_area_mm2 is not None else {}
        table = front_table(st, objectives, by=by, max_values=limits)
        require(len(table.front) > 0, f"empty front over {', '.join(objectives)}: "
                                      + empty_front_reason(st, objectives, limits))
        if csv_path:
            write_front_csv(table, csv_path)
        if png_path:
            colors = front_colors(st, table, [color] if color else [])
            if colors and not np.isfinite(colors[0][1]).any():
                click.echo(f"note: --color {color}: no point of this store has a value; the plot is not coloured "
                           "by it", err=True)
            plot_front(table, png_path, colors=colors)
        if html_path:
            from cosim.explorer import write_explorer

            write_explorer(st, html_path)
    click.echo(f"{len(table.front)} of {len(table.ids):,} ok points on the front over {', '.join(objectives)}")
    varied = varied_fields(table.front)
    for g in table.group_names():
        rows = sorted((r for r in table.front if r[by] == g), key=lambda r: r[objectives[0]])
        click.echo(f"\n{by} {g}: {len(rows)} designs")
        cols = objectives + ([color] if color and color not in objectives else [])
        widths = [max(12, len(c)) for c in cols]
        click.echo(f"  {'id':>8}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cols, widths)) + "  design")
        for r in rows[:max_rows]:
            click.echo(f"  {r['id']:>8}  " + "  ".join(f"{r[c]:>{w}.5g}" for c, w in zip(cols, widths))
                       + f"  {design_label(r, varied)}")
        if len(rows) > max_rows:
            click.echo(f"  ... {len(rows) - max_rows} more (see --csv)")
    if csv_path:
        click.echo(f"front -> {csv_path}")
    if png_path:
        click.echo(f"plot -> {png_path}")
    if html_path:
        click.echo(f"explorer -> {html_path}")
