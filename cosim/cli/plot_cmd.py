"""``cosim plot``: Pareto fronts of a sweep, per-layer breakdowns and rooflines of one design."""

from __future__ import annotations

import click

from cosim.cli import params as P

from cosim.errors import require


class _FrontByDefault(click.Group):
    """``cosim plot STORE ...`` (no subcommand named) is ``cosim plot front STORE ...``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["front", *args]
        return super().parse_args(ctx, args)


@click.group("plot", cls=_FrontByDefault)
def command():
    """Plot a sweep's front, or one design's per-layer breakdown and roofline (PNG or SVG by suffix);
    `cosim plot STORE --html front.html` writes the interactive explorer of a sweep (one offline file).

    \b
    Examples:
      cosim plot cosim-out/ --html front.html
      cosim plot front cosim-out/ --x latency_s --y energy_j --color accuracy_proxy_weight_norm --out front.png
      cosim plot breakdown --accelerator scalesim-32x32-ws --workload resnet50 --out r50-layers.png
      cosim plot breakdown --store cosim-out/ --point 1234 --out point1234.svg
      cosim plot roofline --accelerator scalesim-32x32-ws --workload resnet50 --out roofline.png
    """


@command.command("front")
@click.argument("store", type=click.Path())
@click.option("--x", "x", default="latency_s", show_default=True, help="x-axis objective.")
@click.option("--y", "y", default="energy_j", show_default=True, help="y-axis objective.")
@click.option("--color", default=None, help="Metric coloring the points (accuracy, accuracy_proxy_weight_norm, ...).")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False), help="Output .png or .svg.")
@click.option("--html", "html", default=None, type=click.Path(dir_okay=False),
              help="Write the interactive explorer: one self-contained offline .html (hover: design and recipe; "
                   "click: per-layer breakdown; x, y, colour and workload switchable).")
@click.option("--html-breakdowns", type=click.IntRange(0, 10_000), default=None,
              help="Front points per workload whose per-layer breakdown the explorer carries (default 25).")
def front(store, x, y, color, out, html, html_breakdowns):
    """Energy–latency (or any two metrics) front of STORE, one panel per workload."""
    from cosim.search.store import ResultStore, resolve_store

    require(out or html, "give --out FILE.png|.svg, --html FILE.html, or both")
    require(html_breakdowns is None or html, "--html-breakdowns needs --html FILE.html")
    with ResultStore(resolve_store(store)) as st:
        require(st.count("ok") > 0, f"store '{store}' has no ok points to plot")
        if out:
            from cosim.plot import front_colors, plot_front
            from cosim.search.front import front_table

            table = front_table(st, [x, y])
            plot_front(table, out, colors=front_colors(st, table, [color] if color else []))
        if html:
            from cosim.explorer import DEFAULT_BREAKDOWNS, write_explorer

            write_explorer(st, html, DEFAULT_BREAKDOWNS if html_breakdowns is None else html_breakdowns)
    if out:
        click.echo(f"plot -> {out}")
    if html:
        click.echo(f"explorer -> {html}")


def _design(accelerator, workload, sparsity, store, point):
    """(report, spec) of the chosen design: a stored sweep point, or an accelerator × workload."""
    from cosim.search.front import point_report
    from cosim.search.store import ResultStore, resolve_store

    if store is not None:
        require(point is not None, "--store needs --point ID (an id from `cosim pareto` or front.csv)")
        with ResultStore(resolve_store(store)) as st:
            return point_report(st, point)
    require(accelerator and workload, "give --accelerator and --workload, or --store and --point")
    from cosim.hw.loader import load_accelerator
    from cosim.search.workload_variants import workload_variant
    from cosim.simulate import simulate

    spec = load_accelerator(accelerator)
    graph = workload_variant(workload, sparsity, "uniform", 8).graph if sparsity != "dense" else None
    if graph is None:
        from cosim.workloads import load_workload

        graph = load_workload(workload)
    return simulate(graph, spec), spec


_design_options = [
    click.option("--accelerator", "-a", default=None, help="Preset name or YAML path."),
    click.option("--workload", "-w", default=None, help="Zoo name or workload file."),
    click.option("--sparsity", default="dense", show_default=True,
                 help="Pruning pattern (2:4, unstructured:0.5, ...)."),
    click.option("--store", default=None, type=click.Path(), help="A sweep store (instead of -a/-w)..."),
    click.option("--point", type=click.IntRange(0, 2**53), default=None, help="...and the id of one of its points."),
    click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Output .png or .svg."),
]


def _with_design_options(fn):
    for opt in reversed(_design_options):
        fn = opt(fn)
    return fn


@command.command("breakdown")
@_with_design_options
@click.option("--top", type=P.COUNT, default=15, show_default=True, help="Layers shown (by energy); the rest are summed.")
def breakdown(accelerator, workload, sparsity, store, point, out, top):
    """Per-layer cycles (compute/stall) and energy by component of one design, stacked bars."""
    from cosim.plot import plot_breakdown

    report, _ = _design(accelerator, workload, sparsity, store, point)
    plot_breakdown(report, out, top_n=top)
    click.echo(f"plot -> {out}")


@command.command("roofline")
@_with_design_options
def roofline(accelerator, workload, sparsity, store, point, out):
    """The layers of one design on its roofline (MACs per DRAM byte vs achieved MAC/s)."""
    from cosim.plot import plot_roofline

    report, spec = _design(accelerator, workload, sparsity, store, point)
    plot_roofline(report, spec, out)
    click.echo(f"plot -> {out}")
