"""``cosim presets``: list accelerator presets and zoo workloads."""

from __future__ import annotations

import click


@click.command("presets")
def command():
    """List the accelerator presets and the zoo workloads."""
    from cosim.hw.loader import load_accelerator, preset_names
    from cosim.workloads import zoo_names

    click.echo("accelerators:")
    for n in preset_names():
        spec = load_accelerator(n)
        click.echo(f"  {n:<28} {spec.kind:<20} {getattr(spec, 'description', '')}")
    click.echo("workloads:")
    for n in zoo_names():
        click.echo(f"  {n}")
    from cosim.cli.named_workloads import EMBEDDED

    for n in EMBEDDED:
        click.echo(f"  {n:<28} (embedded model, trained here by cosim prune)")
